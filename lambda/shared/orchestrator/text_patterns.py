"""What user-written text may hold, as regular expressions: the request schemas (api/schemas.py)
and the action kinds' field schemas (actions/) use them."""

from __future__ import annotations

# Characters no name, comment or description may hold: they hide or reorder what an operator reads
# (in the console, drsctl, logs, notifications). C0 and C1 controls with DEL (NUL included), the
# line and paragraph separators, and the whole Unicode Bidi_Control set: the marks U+061C, U+200E,
# U+200F, the embeddings and overrides U+202A-U+202E and the isolates U+2066-U+2069. Written as
# regex escapes, the same in Python and ECMA-262 (the OpenAPI document publishes the patterns).
BIDI = r"\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_FORBIDDEN = r"\x00-\x1f\x7f-\x9f\u2028\u2029" + BIDI
# Descriptions may span lines: tab, LF and CR are allowed there, nothing else of the above.
_FORBIDDEN_IN_TEXT = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029" + BIDI
# A name: no forbidden character, no leading or trailing white space.
NAME_PATTERN = rf"^[^\s{_FORBIDDEN}]([^{_FORBIDDEN}]*[^\s{_FORBIDDEN}])?$"
COMMENT_PATTERN = rf"^[^{_FORBIDDEN}]*$"
DESCRIPTION_PATTERN = rf"^[^{_FORBIDDEN_IN_TEXT}]*$"
# What a failed pattern means, for the error message (the pattern itself is unreadable).
PATTERN_RULES = {
    NAME_PATTERN: "must not start or end with white space nor contain control, line-separator or "
    "bidirectional-control characters",
    COMMENT_PATTERN: "must not contain control, line-separator or bidirectional-control characters",
    DESCRIPTION_PATTERN: "must not contain control characters (but tab and line breaks), "
    "line-separator or bidirectional-control characters",
}
