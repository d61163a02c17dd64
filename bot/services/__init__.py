"""Services: the use cases of planbot. Each takes plain data, opens its own session."""
