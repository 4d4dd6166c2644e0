"""Pure logic over the content: screening, the patient's path, the session tracker.

No widgets, no I/O: unit-testable in microseconds.
"""
