"""Desktop-only parts: the algorithm dialog opened from the toolbar and the result layer style."""
