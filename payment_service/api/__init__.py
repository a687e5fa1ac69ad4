"""HTTP: one blueprint per resource. Views only translate HTTP to `payments/` calls and back."""
