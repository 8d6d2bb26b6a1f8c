"""manage.py install_template_pack --company CODE: the built-in SOP templates, published."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from sopflow.form_templates.services.templates import install_builtin_pack
from sopflow.org.models import Company


class Command(BaseCommand):
    help = "Install the built-in SOP template pack (费用报销, 请假, …) into a company."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--company", required=True, help="company code, e.g. huaqi")

    def handle(self, *args: Any, **options: Any) -> None:
        company = Company.objects.filter(code=options["company"]).first()
        if company is None:
            raise CommandError(f"公司编码不存在：{options['company']}")
        installed = install_builtin_pack(actor=None, company=company)
        names = "、".join(template.name for template in installed) or "（无，均已存在）"
        self.stdout.write(f"已安装 {len(installed)} 个模板：{names}")
