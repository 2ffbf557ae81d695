"""The x86-64 JIT backend: machine-code assembler (asm) and, later, the code generator."""
