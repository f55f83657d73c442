"""The README section this family generates: the word-level language models side by side
(<!-- lm-table:start --> ... <!-- lm-table:end -->; `zoo cards` rewrites it, a test checks it)."""

from zoo.families.word_lm import lm_table

SECTIONS = {"lm-table": lm_table.readme_table_markdown}
