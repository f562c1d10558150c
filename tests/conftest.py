from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SEEDS = REPO / "seeds"
SHARED = REPO.parent / "shared"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def shared_path(*parts: str) -> Path:
    """A path under ../shared, or skip the test: a user's clone has no shared data beside it."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"needs the shared data at {path} (not present in a user's clone)")
    return path


def warning_messages(caught, category: type[Warning] = UserWarning) -> list[str]:
    """The messages of the recorded warnings of ``category`` (newslens's are UserWarnings): the garbage collector
    may add a ResourceWarning of its own at any moment, for an object an earlier test left behind."""
    return [str(w.message) for w in caught if issubclass(w.category, category)]


@pytest.fixture(scope="session")
def seed_corpus():
    import newslens

    return newslens.load_corpus(SEEDS)
