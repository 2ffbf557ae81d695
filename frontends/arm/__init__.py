"""32-bit ARM (A32/Thumb-2) guest frontend."""
