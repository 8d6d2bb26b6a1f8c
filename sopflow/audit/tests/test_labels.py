from sopflow.audit.labels import action_label, summarize_changes, summary_text


def test_changes_read_as_old_to_new_in_field_order_when_pairs_given() -> None:
    changes = {"title": ["", "主管"], "is_active": [True, False], "name": ["甲", "乙"]}

    assert summarize_changes(changes) == [
        ("名称", "甲 → 乙"),
        ("启用", "是 → 否"),
        ("职务", "（空） → 主管"),
    ]


def test_single_values_lists_and_long_text_are_shown_compactly() -> None:
    changes = {"heads": [3, 4], "reason": "locked_out", "zzz": "x" * 80}

    assert summarize_changes(changes) == [
        ("负责人", "3、4"),
        ("原因", "账号已锁定"),
        ("zzz", "x" * 59 + "…"),
    ]
    assert summary_text({"rows": 2}) == "行数：2"


def test_unknown_action_is_shown_as_its_code() -> None:
    assert action_label("org.employee.created") == "新建员工"
    assert action_label("workflow.task.approved") == "workflow.task.approved"
