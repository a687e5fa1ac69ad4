"""What the monitor routes report about this process."""
