"""newslens: reproducible word-frequency, actor-sentiment and chronology notebooks for a folder of news articles."""
from .corpus import Corpus, CorpusError, CorpusWarning, load_corpus

__all__ = ["Corpus", "CorpusError", "CorpusWarning", "load_corpus"]
__version__ = "0.1.0"
