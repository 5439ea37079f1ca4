"""The access table's world (`world`) and how each of its cells is asked (`asking`)."""
