"""AArch64 guest frontend."""
