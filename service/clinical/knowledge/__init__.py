"""The baclofen knowledge base: versioned data files and the code that loads them.

The YAML files in this directory are the clinical content; ``README.md`` here explains each
field and where each number comes from. Code elsewhere never hard-codes a threshold.
"""

from service.clinical.knowledge.loader import (
    KNOWLEDGE_DIR,
    CompiledDrugClass,
    CompiledValueSet,
    Knowledge,
    KnowledgeError,
    load_knowledge,
    normalise_icd,
    word_pattern,
)

__all__ = [
    "KNOWLEDGE_DIR",
    "CompiledDrugClass",
    "CompiledValueSet",
    "Knowledge",
    "KnowledgeError",
    "load_knowledge",
    "normalise_icd",
    "word_pattern",
]
