"""The user guide and the tools that regenerate its screenshots from the running portal."""
