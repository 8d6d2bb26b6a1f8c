"""Use cases of the template library: every write to form_templates rows goes through here."""
