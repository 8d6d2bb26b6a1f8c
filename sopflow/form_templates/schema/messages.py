"""The message catalogue: every user-facing text of the schema package, in zh-hans and English.

Messages say what to do, name the field by its label and count characters as code points.
Codes (the stable, machine-readable part) live on the error objects; this module only renders text.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import Final


class Language(StrEnum):
    ZH_HANS = "zh-hans"
    EN = "en"


def normalize_language(language: str) -> Language:
    """`en`, `en-us`, `EN_GB` → English; everything else falls back to simplified Chinese."""
    return Language.EN if language.lower().replace("_", "-").startswith("en") else Language.ZH_HANS


def message(entry: str, language: str, /, **args: object) -> str:
    """Render catalogue `entry` in `language` with `args` filled in."""
    zh, en = CATALOGUE[entry]
    template = en if normalize_language(language) is Language.EN else zh
    return template.format(**args)


def join(items: Iterable[object], language: str) -> str:
    """A human list: 「a、b、c」 in Chinese, "a, b, c" in English."""
    separator = ", " if normalize_language(language) is Language.EN else "、"
    return separator.join(str(item) for item in items)


def cell_label(table_label: str, row_number: int, column_label: str, language: str) -> str:
    """How a table cell is named in messages; `row_number` is 1-based (what users see)."""
    return message("cell_label", language, table=table_label, row=row_number,
                   column=column_label)


CATALOGUE: Final[dict[str, tuple[str, str]]] = {
    # --- naming -------------------------------------------------------------------------------
    "cell_label": ("{table}第 {row} 行的{column}", "{column} (row {row} of {table})"),
    "column_label": ("{table}的{column}", "{column} in {table}"),
    "row_label": ("{table}第 {row} 行", "{table} row {row}"),
    "yes": ("是", "yes"),
    "no": ("否", "no"),
    "empty": ("（空）", "(empty)"),
    # --- validation: form level ---------------------------------------------------------------
    "invalid_values": ("表单数据格式不正确，请刷新页面后重新填写",
                       "The form data is malformed; reload the page and fill it in again"),
    "unknown_field": ("表单中没有字段 {key}，请刷新页面后重新填写",
                      "The form has no field {key}; reload the page and fill it in again"),
    # --- validation: required -----------------------------------------------------------------
    "required": ("请填写{label}", "Please fill in {label}"),
    "required.choose": ("请选择{label}", "Please choose {label}"),
    "required.upload": ("请上传{label}", "Please upload {label}"),
    "required.rows": ("请至少填写一行{label}", "Please add at least one row to {label}"),
    # --- text ---------------------------------------------------------------------------------
    "invalid_text": ("{label}应填写文字", "{label} must be text"),
    "min_length": ("{label}至少需要 {min} 字，当前 {count} 字",
                   "{label} needs at least {min} characters (currently {count})"),
    "max_length": ("{label}最多 {max} 字，当前 {count} 字，请删减 {over} 字",
                   "{label} allows at most {max} characters (currently {count}); "
                   "remove {over}"),
    "invalid_phone": ("{label}不是有效的手机号，请填写 11 位中国大陆手机号，例如 13800138000",
                      "{label} is not a valid mobile number; enter an 11-digit mainland China "
                      "number such as 13800138000"),
    "invalid_email": ("{label}不是有效的邮箱地址，请按 name@example.com 的格式填写",
                      "{label} is not a valid email address; use the form name@example.com"),
    "invalid_id_number": ("{label}不是有效的 18 位居民身份证号，请核对出生日期和最后一位校验码",
                          "{label} is not a valid 18-digit resident ID number; check the birth "
                          "date and the last (check) character"),
    # --- numbers and money --------------------------------------------------------------------
    "invalid_number": ("{label}应填写数字，例如 12.5", "{label} must be a number, e.g. 12.5"),
    "invalid_money": ("{label}应填写金额，例如 3200.00",
                      "{label} must be an amount of money, e.g. 3200.00"),
    "number_too_large": ("{label}的数值过大，整数部分最多 {digits} 位",
                         "{label} is too large; at most {digits} digits before the point"),
    "too_many_decimals": ("{label}最多保留 {decimals} 位小数",
                          "{label} allows at most {decimals} decimal places"),
    "min_value": ("{label}不能小于 {min}", "{label} must be at least {min}"),
    "max_value": ("{label}不能大于 {max}", "{label} must be at most {max}"),
    # --- dates --------------------------------------------------------------------------------
    "invalid_date": ("{label}应填写日期，格式如 2026-09-30",
                     "{label} must be a date such as 2026-09-30"),
    "date_too_early": ("{label}不能早于 {min}", "{label} cannot be earlier than {min}"),
    "date_too_late": ("{label}不能晚于 {max}", "{label} cannot be later than {max}"),
    "invalid_datetime": ("{label}应填写带时区的日期时间，例如 2026-09-30T09:00:00+08:00",
                         "{label} must be a date and time with a UTC offset, e.g. "
                         "2026-09-30T09:00:00+08:00"),
    "invalid_date_range": ("{label}需要填写开始日期和结束日期，格式如 2026-09-30",
                           "{label} needs a start and an end date such as 2026-09-30"),
    "range_end_before_start": ("{label}的结束日期不能早于开始日期",
                               "The end date of {label} cannot be before its start date"),
    "range_too_long": ("{label}不能超过 {days} 天", "{label} cannot span more than {days} days"),
    # --- choices ------------------------------------------------------------------------------
    "invalid_choice": ("{label}的选项“{value}”不在可选范围内，请重新选择",
                       "“{value}” is not one of the options of {label}; choose again"),
    "other_not_allowed": ("{label}不能填写“其他”，请从选项中选择",
                          "{label} does not allow “other”; choose one of the options"),
    "other_text_required": ("{label}选择了“其他”，请填写具体内容",
                            "{label}: you chose “other”; please say what it is"),
    "duplicate_choice": ("{label}中有重复的选项，请去掉重复项",
                         "{label} contains the same choice twice; remove the duplicate"),
    "too_few_choices": ("{label}至少选择 {min} 项", "Choose at least {min} options for {label}"),
    "too_many_choices": ("{label}最多选择 {max} 项", "Choose at most {max} options for {label}"),
    # --- people and departments ---------------------------------------------------------------
    "invalid_person": ("{label}应选择人员，请重新选择", "{label} must be people; choose again"),
    "invalid_department": ("{label}应选择部门，请重新选择",
                           "{label} must be departments; choose again"),
    "only_one": ("{label}只能选择一个", "{label} allows only one choice"),
    "duplicate_id": ("{label}中有重复项，请去掉重复项",
                     "{label} contains the same entry twice; remove the duplicate"),
    "unknown_person": ("{label}中的人员（编号 {id}）不存在或已停用，请重新选择",
                       "{label}: person {id} does not exist or is disabled; choose again"),
    "unknown_department": ("{label}中的部门（编号 {id}）不存在，请重新选择",
                           "{label}: department {id} does not exist; choose again"),
    # --- files --------------------------------------------------------------------------------
    "invalid_attachment": ("{label}应为已上传的文件，请重新上传",
                           "{label} must be uploaded files; upload them again"),
    "too_many_files": ("{label}最多上传 {max} 个文件，当前 {count} 个",
                       "{label} allows at most {max} files (currently {count})"),
    "attachment_not_found": ("{label}中的文件（编号 {id}）不存在，请重新上传",
                             "{label}: file {id} does not exist; upload it again"),
    "attachment_not_owned": ("{label}中的文件（编号 {id}）不是你上传的，请重新上传",
                             "{label}: file {id} was not uploaded by you; upload it again"),
    "file_type_not_allowed": ("{label}只接受 {accept} 格式的文件，请重新上传",
                              "{label} accepts only {accept} files; upload another file"),
    "file_too_large": ("{label}中的文件超过 {max_mb} MB，请压缩后重新上传",
                       "A file in {label} is larger than {max_mb} MB; shrink it and upload "
                       "it again"),
    # --- tables -------------------------------------------------------------------------------
    "invalid_table": ("{label}的格式不正确，请刷新页面后重新填写",
                      "{label} is malformed; reload the page and fill it in again"),
    "invalid_row": ("{label}的格式不正确，请删除该行后重新添加",
                    "{label} is malformed; delete the row and add it again"),
    "too_few_rows": ("{label}至少需要 {min} 行，当前 {count} 行",
                     "{label} needs at least {min} rows (currently {count})"),
    "too_many_rows": ("{label}最多 {max} 行，当前 {count} 行，请删除多余的行",
                      "{label} allows at most {max} rows (currently {count}); remove the extra "
                      "rows"),
    # --- formulas at run time -----------------------------------------------------------------
    "formula.division_by_zero": ("{label}无法计算：除数为 0，请检查参与计算的字段",
                                 "{label} cannot be computed: division by zero; check the fields "
                                 "it uses"),
    "formula.type_mismatch": ("{label}无法计算：参与计算的值类型不匹配，请检查参与计算的字段",
                              "{label} cannot be computed: the values it uses have the wrong "
                              "type; check the fields it uses"),
    "formula.too_large": ("{label}无法计算：结果过大，请检查参与计算的字段",
                          "{label} cannot be computed: the result is too large; check the "
                          "fields it uses"),
    "formula.invalid_argument": ("{label}无法计算：函数参数不正确，请检查参与计算的字段",
                                 "{label} cannot be computed: a function got an invalid argument; "
                                 "check the fields it uses"),
    # --- design time --------------------------------------------------------------------------
    "design.invalid_schema": ("表单设计的格式不正确，应包含字段列表 fields",
                              "The form design is malformed; it needs a list of fields"),
    "design.invalid_field": ("第 {position} 个字段的格式不正确", "Field {position} is malformed"),
    "design.missing_key": ("字段“{label}”缺少标识 key", "Field “{label}” has no key"),
    "design.missing_label": ("字段 {key} 缺少名称，请填写字段名称",
                             "Field {key} has no label; give it one"),
    "design.invalid_key": ("字段“{label}”的标识“{key}”格式不正确：应以 f_ 开头，"
                           "只含字母、数字和单个下划线，最长 64 个字符",
                           "Field “{label}”: key “{key}” is invalid; it must start with f_, "
                           "contain only letters, digits and single underscores, and be at most "
                           "64 characters"),
    "design.duplicate_key": ("字段“{label}”的标识“{key}”与其他字段重复",
                             "Field “{label}”: key “{key}” is used by another field"),
    "design.unknown_type": ("字段“{label}”的类型“{type}”不存在",
                            "Field “{label}”: there is no field type “{type}”"),
    "design.unknown_setting": ("字段“{label}”有不认识的设置“{setting}”，请删除",
                               "Field “{label}”: unknown setting “{setting}”; remove it"),
    "design.invalid_setting": ("字段“{label}”的设置“{setting}”取值不正确",
                               "Field “{label}”: setting “{setting}” has an invalid value"),
    "design.invalid_default": ("字段“{label}”的默认值不正确：{reason}",
                               "Field “{label}”: the default value is invalid: {reason}"),
    "design.empty_options": ("字段“{label}”至少需要一个选项", "Field “{label}” needs at least one "
                             "option"),
    "design.duplicate_option": ("字段“{label}”的选项“{value}”重复",
                                "Field “{label}”: option “{value}” appears twice"),
    "design.min_greater_than_max": ("字段“{label}”的{setting}最小值大于最大值",
                                    "Field “{label}”: the minimum {setting} is greater than the "
                                    "maximum"),
    "design.nested_table": ("明细“{label}”中不能再放明细表格",
                            "Table “{label}” cannot contain another table"),
    "design.empty_table": ("明细“{label}”至少需要一列",
                           "Table “{label}” needs at least one column"),
    "design.total_unknown_column": ("明细“{label}”的合计列 {column} 不存在",
                                    "Table “{label}”: total column {column} does not exist"),
    "design.total_not_number": ("明细“{label}”的合计列“{column}”不是数字或金额列",
                                "Table “{label}”: total column “{column}” is not a number or "
                                "money column"),
    "design.formula_syntax": ("公式字段“{label}”的表达式有语法错误，请检查括号、引号和运算符",
                              "Formula “{label}” has a syntax error; check brackets, quotes and "
                              "operators"),
    "design.formula_banned": ("公式字段“{label}”使用了不允许的写法（{construct}），"
                              "公式只能使用字段、数字、文字、+ - * / % 、比较和函数 {functions}",
                              "Formula “{label}” uses a construct that is not allowed "
                              "({construct}); formulas may use fields, numbers, text, + - * / %, "
                              "comparisons and the functions {functions}"),
    "design.formula_unknown_function": ("公式字段“{label}”使用了不支持的函数 {name}，可用函数："
                                        "{functions}",
                                        "Formula “{label}” uses the unknown function {name}; "
                                        "available: {functions}"),
    "design.formula_arity": ("公式字段“{label}”中函数 {name} 的参数个数不正确",
                             "Formula “{label}”: function {name} has the wrong number of "
                             "arguments"),
    "design.formula_unknown_field": ("公式字段“{label}”引用的字段 {name} 不存在",
                                     "Formula “{label}” refers to {name}, which does not exist"),
    "design.formula_bad_reference": ("公式字段“{label}”不能引用字段“{name}”（该类型不能参与计算）",
                                     "Formula “{label}” cannot use “{name}” (fields of that "
                                     "type cannot be calculated with)"),
    "design.cycle": ("字段“{label}”的公式或显示条件形成了循环引用：{chain}",
                     "Field “{label}”: its formula or visibility condition refers back to "
                     "itself: {chain}"),
    "design.condition_invalid": ("字段“{label}”的{setting}格式不正确",
                                 "Field “{label}”: the {setting} is malformed"),
    "design.condition_operator": ("字段“{label}”的{setting}对字段“{name}”使用了不适用的比较方式 {op}",
                                  "Field “{label}”: the {setting} uses {op}, which does not "
                                  "apply to “{name}”"),
    "design.condition_unknown_field": ("字段“{label}”的{setting}引用的字段 {name} 不存在",
                                       "Field “{label}”: the {setting} refers to {name}, which "
                                       "does not exist"),
    # --- setting names (design messages and schema diffs) -------------------------------------
    "setting.visible_when": ("显示条件", "visibility condition"),
    "setting.required_when": ("必填条件", "required condition"),
    "setting.length": ("字数", "length"),
    "setting.value": ("数值", "value"),
    "setting.date": ("日期", "date"),
    "setting.choices": ("选择项数", "number of choices"),
    "setting.rows": ("行数", "number of rows"),
    "setting.type": ("类型", "type"),
    "setting.label": ("名称", "label"),
    "setting.help": ("说明", "help text"),
    "setting.placeholder": ("提示文字", "placeholder"),
    "setting.required": ("必填", "required"),
    "setting.default": ("默认值", "default"),
    "setting.width": ("宽度", "width"),
    "setting.min_length": ("最少字数", "minimum length"),
    "setting.max_length": ("最多字数", "maximum length"),
    "setting.pattern": ("格式", "format"),
    "setting.min": ("最小值", "minimum"),
    "setting.max": ("最大值", "maximum"),
    "setting.decimals": ("小数位数", "decimal places"),
    "setting.unit": ("单位", "unit"),
    "setting.options": ("选项", "options"),
    "setting.allow_other": ("允许“其他”", "allow “other”"),
    "setting.min_choices": ("最少选择项数", "minimum choices"),
    "setting.max_choices": ("最多选择项数", "maximum choices"),
    "setting.multiple": ("可多选", "multiple"),
    "setting.accept": ("文件类型", "file types"),
    "setting.max_files": ("最多文件数", "maximum files"),
    "setting.max_size_mb": ("单个文件大小上限（MB）", "maximum file size (MB)"),
    "setting.min_rows": ("最少行数", "minimum rows"),
    "setting.max_rows": ("最多行数", "maximum rows"),
    "setting.totals": ("合计列", "totals"),
    "setting.expression": ("公式", "expression"),
    "setting.result": ("结果类型", "result type"),
    "setting.text": ("说明文字", "text"),
    # --- schema diff --------------------------------------------------------------------------
    "diff.added": ("新增字段“{label}”", "Added field “{label}”"),
    "diff.removed": ("删除字段“{label}”", "Removed field “{label}”"),
    "diff.changed": ("修改字段“{label}”：{details}", "Changed field “{label}”: {details}"),
    "diff.column_added": ("明细“{table}”新增列“{label}”",
                          "Table “{table}”: added column “{label}”"),
    "diff.column_removed": ("明细“{table}”删除列“{label}”",
                            "Table “{table}”: removed column “{label}”"),
    "diff.column_changed": ("明细“{table}”修改列“{label}”：{details}",
                            "Table “{table}”: changed column “{label}”: {details}"),
    "diff.detail": ("{setting}由 {old} 改为 {new}", "{setting} from {old} to {new}"),
    # --- practice -----------------------------------------------------------------------------
    "practice.wrong_value": ("{label}应为 {expected}，你填写的是 {actual}",
                             "{label} should be {expected}, you entered {actual}"),
    "practice.wrong_row_count": ("{label}应有 {expected} 行，你填写了 {actual} 行",
                                 "{label} should have {expected} rows, you entered {actual}"),
}
