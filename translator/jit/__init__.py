"""Our own JIT: guest blocks -> IR -> passes -> x86-64 machine code."""
