"""`manage.py vendor_static`: copy the pinned npm files we serve into build/vendor (git-ignored).

Only the files listed here are served; whole dist folders break collectstatic (STACK.md pitfall 6).
"""

import re
import shutil
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

FILES = {
    "htmx.org/dist/htmx.min.js": "vendor/htmx/htmx.min.js",
    "@alpinejs/csp/dist/cdn.min.js": "vendor/alpinejs/alpine-csp.min.js",
    "@alpinejs/sort/dist/cdn.min.js": "vendor/alpinejs/alpine-sort.min.js",
    "@tabler/core/dist/css/tabler.min.css": "vendor/tabler/css/tabler.min.css",
    "@tabler/core/dist/js/tabler.min.js": "vendor/tabler/js/tabler.min.js",
    "@tabler/icons-webfont/dist/tabler-icons.min.css": "vendor/tabler-icons/tabler-icons.min.css",
    "@tabler/icons-webfont/dist/fonts/tabler-icons.woff2": "vendor/tabler-icons/fonts/tabler-icons.woff2",
    "@tabler/icons-webfont/dist/fonts/tabler-icons.woff": "vendor/tabler-icons/fonts/tabler-icons.woff",
    "@tabler/icons-webfont/dist/fonts/tabler-icons.ttf": "vendor/tabler-icons/fonts/tabler-icons.ttf",
    "echarts/dist/echarts.min.js": "vendor/echarts/echarts.min.js",
}
SOURCE_MAP = re.compile(rb"sourceMappingURL=([^\s*]+)")


class Command(BaseCommand):
    help = "Copy the pinned front-end files from node_modules/ into build/vendor/."

    def handle(self, *args: object, **options: object) -> None:
        node_modules = Path(settings.BASE_DIR) / "node_modules"
        target_root = Path(settings.BASE_DIR) / "build" / "vendor"
        if not node_modules.is_dir():
            raise CommandError(
                "node_modules/ is missing: run `npm ci` first (make does this for you)."
            )
        copied = 0
        for source_name, target_name in FILES.items():
            source = node_modules / source_name
            if not source.is_file():
                raise CommandError(f"{source_name} is missing from node_modules; run `npm ci`.")
            target = target_root / target_name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
            copied += 1
            match = SOURCE_MAP.search(source.read_bytes()[-400:])
            if match:
                map_source = source.parent / match.group(1).decode()
                if map_source.is_file():
                    shutil.copyfile(map_source, target.parent / map_source.name)
                else:  # a dangling reference would break the manifest storage; drop it
                    data = source.read_bytes()
                    target.write_bytes(SOURCE_MAP.sub(b"", data))
        self.stdout.write(f"vendor_static: {copied} files in {target_root}")
