"""Examples that use genbench from outside its packages (run from the repository root)."""
