"""SOP form templates, immutable versions, submissions and their attachments."""
