from django.core.management import call_command

from sopflow.form_templates import queries
from sopflow.form_templates.models import FormTemplate
from sopflow.form_templates.services.templates import install_builtin_pack
from sopflow.org.models import Company, User
from sopflow.org.tests.builders import build_position


def test_pack_installs_thirteen_published_templates_once(company: Company, alice: User) -> None:
    sales = build_position(company, name="销售专员", code="sales-rep")
    alice.position = sales
    alice.save()

    installed = install_builtin_pack(actor=None, company=company,
                                     pushed_positions={"trip-daily": [sales.pk]})
    call_command("install_template_pack", "--company", company.code)

    assert len(installed) == 13
    assert FormTemplate.objects.filter(company=company, current_version__number=1).count() == 13
    library = queries.library_for(alice)
    assert [t.name for t in library.pushed] == ["出差日报"]
    assert len(library.others) == 12
    needs = FormTemplate.objects.get(code="trip-daily").current_version.schema["fields"][2]
    assert (needs["label"], needs["min_length"]) == ("客户需求", 100)
