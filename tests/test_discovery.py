"""Actor discovery, registry merging, and the parse cache.

Expectations were worked out by reading the texts, not by running the code. The clustering tests give the
recogniser's output by hand (an entity table), so they test the grouping rules and not the model.
"""
import mmap
import re
import warnings
from pathlib import Path

import pandas as pd
import pytest

from newslens.actors import (Actor, actors_for_corpus, discover_actors, find_entities, load_registry,
                             merge_registries, parse_registry, registry_yaml)
from newslens.cache import DocumentCache, text_key

from conftest import SEEDS


def entities_for(text: str, *marked: tuple[str, str, int]) -> pd.DataFrame:
    """An entity table for one document "d": (surface, label, which occurrence of the surface, from 0)."""
    rows = []
    for surface, label, nth in marked:
        starts = [m.start() for m in re.finditer(re.escape(surface), text)]
        rows.append(("d", starts[nth], starts[nth] + len(surface), label, surface))
    return pd.DataFrame(rows, columns=["doc_id", "start", "end", "label", "surface"])


def discovered(text: str, *marked) -> dict[str, Actor]:
    actors, _ = discover_actors(pd.DataFrame({"doc_id": ["d"], "text": [text]}), entities_for(text, *marked))
    return {actor.name: actor for actor in actors}


MANY_NAMED = "Anna Berg met Carl Dahl. Anna Berg spoke. Anna Berg left. Carl Dahl stayed. Eva Fors watched."
MANY_ENTITIES = (("Anna Berg", "PERSON", 0), ("Carl Dahl", "PERSON", 0), ("Anna Berg", "PERSON", 1),
                 ("Anna Berg", "PERSON", 2), ("Carl Dahl", "PERSON", 1), ("Eva Fors", "PERSON", 0))


def test_at_most_max_actors_are_discovered_the_most_named():
    documents = pd.DataFrame({"doc_id": ["d"], "text": [MANY_NAMED]})
    actors, table = discover_actors(documents, entities_for(MANY_NAMED, *MANY_ENTITIES), max_actors=2)
    assert [a.name for a in actors] == ["Anna Berg", "Carl Dahl"]
    assert table["mentions"].tolist() == [3, 2]
    everyone, _ = discover_actors(documents, entities_for(MANY_NAMED, *MANY_ENTITIES))
    assert [a.name for a in everyone] == ["Anna Berg", "Carl Dahl", "Eva Fors"]


def test_actors_left_out_by_max_actors_are_counted_in_the_message(tmp_path, monkeypatch):
    from newslens import actors

    monkeypatch.setattr(actors, "_entities_in_runs",
                        lambda documents, jobs, cache_dir: [entities_for(MANY_NAMED, *MANY_ENTITIES)])
    documents = pd.DataFrame({"doc_id": ["d"], "text": [MANY_NAMED]})
    setup = actors_for_corpus(documents, tmp_path, max_actors=2)
    assert [a.name for a in setup.registry] == ["Anna Berg", "Carl Dahl"]
    assert setup.message == ("No actor registry: discovery found 3 actors in the text and kept the 2 most named "
                             "(discover_max_actors; the other 1, named no more often, are left out); they are the 2 "
                             "actors analysed here.")


# --- on the seeds, without any registry ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def seed_discovery(seed_corpus):
    documents = seed_corpus.documents
    return discover_actors(documents, find_entities(documents))


def test_entities_given_run_by_run_discover_what_the_whole_table_does(seed_corpus, seed_discovery):
    documents = seed_corpus.documents
    entities = find_entities(documents)
    runs = [entities[entities["doc_id"].isin(ids)] for ids in (documents["doc_id"][:2], documents["doc_id"][2:3],
                                                                 [], documents["doc_id"][3:])]
    actors, table = discover_actors(documents, iter(runs))  # read once, run after run
    assert actors == seed_discovery[0]
    pd.testing.assert_frame_equal(table, seed_discovery[1])


def test_profiles_completed_block_by_block_are_those_of_the_whole(seed_corpus, seed_discovery, monkeypatch):
    from newslens import actors

    monkeypatch.setattr(actors, "PROFILE_BLOCK", 3)  # a block per few occurrences, cut at documents' ends
    documents = seed_corpus.documents
    actors_found, table = discover_actors(documents, find_entities(documents))
    assert actors_found == seed_discovery[0]
    pd.testing.assert_frame_equal(table, seed_discovery[1])
    assert table["documents"].max() >= 3 and (table["gender"] != "").any() and (table["descriptors"] != "").any()


def test_occurrences_written_to_mapped_files_discover_what_memory_does(seed_corpus, seed_discovery, monkeypatch,
                                                                       tmp_path):
    from newslens import actors

    monkeypatch.setattr(actors, "_PENDING_OCCURRENCES", 5)  # written every five occurrences
    monkeypatch.setattr(actors, "PROFILE_BLOCK", 7)
    documents = seed_corpus.documents
    entities = find_entities(documents)
    found, table, _ = actors._discovered(documents, entities, 1, None, tmp_path / "mapped")
    assert found == seed_discovery[0]
    pd.testing.assert_frame_equal(table, seed_discovery[1])
    occurrences = actors._occurrences(actors.DocumentTexts(documents), [entities], tmp_path / "mapped")
    assert all(isinstance(occurrences.column(name).base.obj, mmap.mmap) for name in ("start", "end", "key"))
    assert occurrences.count == len(occurrences.column("key")) > 5


def test_document_blocks_never_cut_a_document(monkeypatch):
    from newslens import actors

    occurrences = actors._Occurrences()
    for doc, count in (("a", 3), ("b", 2), ("c", 4), ("d", 1)):
        for number in range(count):
            occurrences.add(doc, number * 10, number * 10 + 5, "PERSON", "Kaja Kallas")
    occurrences.done()
    monkeypatch.setattr(actors, "PROFILE_BLOCK", 4)
    blocks = [(block.start, block.stop) for block in actors._document_blocks(occurrences)]
    assert blocks == [(0, 5), (5, 9), (9, 10)]  # a+b (b would be cut at 4), c, d
    # Each occurrence's document, kept once per document: a a a b b c c c c d, as places 0 1 2 3.
    assert occurrences.docs(slice(0, 10)).tolist() == [0, 0, 0, 1, 1, 2, 2, 2, 2, 3]
    assert occurrences.docs(slice(4, 7)).tolist() == [1, 2, 2]
    assert occurrences.doc_ids == ["a", "b", "c", "d"]
    assert occurrences.column("start").tolist() == [0, 10, 20, 0, 10, 0, 10, 20, 30, 0]


def test_seed_actors_found_without_a_registry(seed_discovery):
    actors, _ = seed_discovery
    names_of = {actor.name: {actor.name, *actor.aliases} for actor in actors}

    def actor_named(name: str) -> str:
        holders = [actor for actor, names in names_of.items() if name in names]
        assert len(holders) == 1, f"{name!r} is in {holders}"
        return holders[0]

    for surname in ("Putin", "Zelensky", "Kallas", "Witkoff", "Trump", "Rubio", "Kushner", "Peskov", "Ushakov",
                    "Umerov", "Yermak", "Lukashenko", "Lavrov", "Russia", "Ukraine", "NATO", "Kremlin"):
        assert any(surname in name for names in names_of.values() for name in names), surname
    # The misspellings of Kallas are one actor, Vitkoff is Witkoff, US and EU are their full names.
    kallas = actor_named("Kaja Kallas")
    assert {"Kaia Kallas", "Kaia Callas", "Kaya Kallas", "Kallas"} <= names_of[kallas]
    assert actor_named("Vitkoff") == actor_named("Steve Witkoff") == actor_named("Witkoff")
    assert actor_named("US") == actor_named("United States")
    assert actor_named("EU") == actor_named("European Union")
    assert actor_named("Putin") == actor_named("Vladimir Putin")
    assert actor_named("Zelensky") == actor_named("Volodymyr Zelenskyy") == actor_named("Volodymyr Zhelensky")
    by_name = {actor.name: actor for actor in actors}
    assert by_name[kallas].kind == "person" and by_name[kallas].gender == "female"
    assert by_name[actor_named("Putin")].gender == "male"
    assert by_name[actor_named("Russia")].kind == "country"
    assert by_name[actor_named("EU")].kind == "organisation"
    assert "Kremlin spokesman" in by_name[actor_named("Peskov")].descriptors


def test_seed_discovery_leaves_out_demonyms_months_time_zones_and_labels(seed_discovery):
    actors, table = seed_discovery
    every_name = {name for actor in actors for name in (actor.name, *actor.aliases)}
    not_actors = {"Russian", "Russians", "Ukrainian", "Ukrainians", "European", "Europeans", "American",
                  "Belarusian", "French", "November", "Nov", "December", "Sunday", "Friday", "IST", "GMT", "UTC",
                  "Source", "Category", "State", "R.US", "NET"}
    assert every_name & not_actors == set()
    assert list(table["name"]) == [actor.name for actor in actors]


def test_discovered_registry_round_trips_through_yaml(seed_discovery, tmp_path):
    actors, _ = seed_discovery
    path = tmp_path / "actors_discovered.yaml"
    path.write_text(registry_yaml(actors), encoding="utf-8")
    assert load_registry(path) == actors


# --- grouping rules, on sentences written for the tests -----------------------------------------------------------


def test_spelling_variants_and_surnames_are_one_person():
    text = ("Kaja Kallas spoke in Brussels, where she lives. Kallas said she was worried.\n"
            "Kaia Callas, as one outlet spelt it, met Steve Witkoff, and he smiled. Vitkoff said he agreed with Kaya "
            "Kallas.")
    found = discovered(text, ("Kaja Kallas", "PERSON", 0), ("Kallas", "PERSON", 1), ("Kaia Callas", "PERSON", 0),
                       ("Steve Witkoff", "PERSON", 0), ("Vitkoff", "ORG", 0), ("Kaya Kallas", "PERSON", 0))
    assert set(found) == {"Kaja Kallas", "Steve Witkoff"}
    assert set(found["Kaja Kallas"].aliases) == {"Kallas", "Kaia Callas", "Kaya Kallas"}
    assert found["Kaja Kallas"].gender == "female" and found["Kaja Kallas"].kind == "person"
    assert found["Steve Witkoff"].aliases == ("Vitkoff",) and found["Steve Witkoff"].gender == "male"


def test_different_people_stay_apart():
    # Same surname, different first names; similar surnames that sound different; a lone surname shared by two
    # full names equally stays on its own.
    text = ("Hillary Clinton and Bill Clinton arrived. Clinton spoke. John Kerry met Megyn Kelly. "
            "Ben Carson met Tucker Carlson.")
    found = discovered(text, ("Hillary Clinton", "PERSON", 0), ("Bill Clinton", "PERSON", 0),
                       ("Clinton", "PERSON", 2), ("John Kerry", "PERSON", 0), ("Megyn Kelly", "PERSON", 0),
                       ("Ben Carson", "PERSON", 0), ("Tucker Carlson", "PERSON", 0))
    assert set(found) == {"Hillary Clinton", "Bill Clinton", "Clinton", "John Kerry", "Megyn Kelly", "Ben Carson",
                          "Tucker Carlson"}
    assert all(actor.aliases == () for actor in found.values())


def test_a_place_is_a_country_when_one_of_its_names_is_a_countrys():
    from newslens.actors import _kind

    assert _kind("GPE", ["Russia"]) == "country"
    assert _kind("GPE", ["United States", "U.S."]) == _kind("GPE", ["US"]) == "country"
    assert _kind("GPE", ["Myanmar"]) == _kind("GPE", ["Burma"]) == "country"  # CLDR: "Myanmar (Burma)"
    assert _kind("GPE", ["Russian Federation"]) == "country"
    assert _kind("GPE", ["Bosnia and Herzegovina"]) == _kind("GPE", ["Turkey"]) == "country"
    assert _kind("GPE", ["Iowa"]) == _kind("GPE", ["Geneva"]) == _kind("GPE", ["Moscow"]) == "place"
    assert _kind("GPE", ["European Union"]) == "place"  # a union, not a country (an ORG as a rule)
    assert _kind("ORG", ["Chad"]) == "organisation" and _kind("PERSON", ["Jordan"]) == "person"


def test_possessive_title_acronym_and_excluded_kinds():
    text = ("Source: Interfax\n"
            "Kremlin spokesman Dmitry Peskov said he was sure Putin's plan stands. Peskov added that he would meet Russian "
            "officials in Nov at 10:00 IST. The European Union and the EU's envoy disagreed. US Secretary of State "
            "Marco Rubio, the Kremlin's critic, agreed.")
    found = discovered(text, ("Source", "ORG", 0), ("Interfax", "ORG", 0), ("Kremlin", "ORG", 0),
                       ("Dmitry Peskov", "PERSON", 0), ("Putin's", "PERSON", 0), ("Peskov", "PERSON", 1),
                       ("Russian", "NORP", 0), ("Nov", "ORG", 0), ("IST", "ORG", 0),
                       ("The European Union", "ORG", 0), ("EU's", "ORG", 0), ("US", "GPE", 0), ("State", "ORG", 0),
                       ("Marco Rubio", "PERSON", 0), ("the Kremlin's", "ORG", 0))
    assert set(found) == {"Interfax", "Kremlin", "Dmitry Peskov", "Putin", "European Union", "US", "Marco Rubio"}
    assert found["Dmitry Peskov"].aliases == ("Peskov",) and found["Dmitry Peskov"].gender == "male"
    assert found["Dmitry Peskov"].descriptors == ("Kremlin spokesman",)
    assert found["Marco Rubio"].descriptors == ("US Secretary of State",)
    assert found["European Union"].aliases == ("EU",) and found["European Union"].kind == "organisation"
    assert found["US"].kind == "country" and found["Kremlin"].kind == "organisation"


def test_gender_needs_two_pronouns_that_agree():
    text = "Jon Doggett said he agreed. Doggett left. Pat Smith arrived and she spoke; Smith said he had left."
    found = discovered(text, ("Jon Doggett", "PERSON", 0), ("Doggett", "PERSON", 1), ("Pat Smith", "PERSON", 0),
                       ("Smith", "PERSON", 1))
    assert found["Jon Doggett"].gender is None  # one pronoun only
    assert found["Pat Smith"].gender is None  # she once, he once


def test_a_lone_first_name_goes_to_the_one_person_with_it():
    text = "Bernie Sanders spoke. Bernie won. Jeb Bush and George Bush met; Bush spoke. Rand Paul and Paul Ryan met."
    found = discovered(text, ("Bernie Sanders", "PERSON", 0), ("Bernie", "PERSON", 1), ("Jeb Bush", "PERSON", 0),
                       ("George Bush", "PERSON", 0), ("Bush", "PERSON", 2), ("Rand Paul", "PERSON", 0),
                       ("Paul Ryan", "PERSON", 0))
    assert found["Bernie Sanders"].aliases == ("Bernie",)
    assert "Bush" in found and found["Jeb Bush"].aliases == ()  # two Bushes: the surname alone stays apart


def test_an_acronym_is_nobody_s_surname():
    # Recogniser noise seen on the 10,000-article corpus: "Bannon di CNN" as a PERSON would swallow CNN.
    text = "CNN said so. CNN agreed. Bannon di CNN spoke."
    found = discovered(text, ("CNN", "ORG", 0), ("CNN", "ORG", 1), ("Bannon di CNN", "PERSON", 0))
    assert set(found) == {"CNN", "Bannon di CNN"} and found["Bannon di CNN"].aliases == ()


def test_reporters_datelines_and_wire_credits_are_no_actors():
    text = ("Bridge opens\nBy Anna Berg | Wire Service\nTALLINN (Wire) - Mart Laar opened a bridge in Tartu.\n"
            "Laar was pleased. (Reporting by Peeter Kask; Editing by Liis Tamm)\nJaan Ots contributed reporting.")
    found = discovered(text, ("Anna Berg", "PERSON", 0), ("Wire Service", "ORG", 0), ("TALLINN", "GPE", 0),
                       ("Wire", "ORG", 0), ("Mart Laar", "PERSON", 0), ("Tartu", "GPE", 0), ("Laar", "PERSON", 1),
                       ("Peeter Kask", "PERSON", 0), ("Liis Tamm", "PERSON", 0), ("Jaan Ots", "PERSON", 0))
    assert set(found) == {"Mart Laar", "Tartu"}
    assert found["Mart Laar"].aliases == ("Laar",)


def test_a_name_cut_at_its_particle_is_joined():
    # The recogniser's cut seen on real news: "Ursula von der" PERSON, "Leyen" GPE.
    text = "Ursula von der Leyen spoke. Later Ursula von der Leyen left."
    found = discovered(text, ("Ursula von der", "PERSON", 0), ("Leyen", "GPE", 0),
                       ("Ursula von der Leyen", "PERSON", 0))
    assert set(found) == {"Ursula von der Leyen"} and found["Ursula von der Leyen"].kind == "person"


def test_jr_is_nobody_s_surname():
    # Before: every "... Jr." shared the surname "Jr" and became one person.
    text = ("John Hinckley Jr. shot at the president. Chief Justice John G. Roberts Jr. wrote the ruling. "
            "Roberts was firm. Cuba Gooding Jr. starred.")
    found = discovered(text, ("John Hinckley Jr.", "PERSON", 0), ("John G. Roberts Jr.", "PERSON", 0),
                       ("Roberts", "PERSON", 1), ("Cuba Gooding Jr.", "PERSON", 0))
    assert set(found) == {"John Hinckley Jr", "John G. Roberts Jr", "Cuba Gooding Jr"}
    assert found["John G. Roberts Jr"].aliases == ("Roberts",) and found["John Hinckley Jr"].aliases == ()


def test_a_title_two_people_share_is_no_descriptor():
    text = "Former president Barack Obama met former president George Bush. Obama smiled."
    found = discovered(text, ("Barack Obama", "PERSON", 0), ("George Bush", "PERSON", 0), ("Obama", "PERSON", 1))
    assert found["Barack Obama"].descriptors == () and found["George Bush"].descriptors == ()


def test_a_lone_city_name_taken_for_a_person_is_a_place():
    text = "Pressure on Kyiv grew. Envoys flew to Kyiv. Sofia Berg spoke."
    found = discovered(text, ("Kyiv", "PERSON", 0), ("Kyiv", "PERSON", 1), ("Sofia Berg", "PERSON", 0))
    assert found["Kyiv"].kind == "place"
    assert found["Sofia Berg"].kind == "person"  # a full name is a person, whatever its first name


def test_a_gendered_title_before_the_name_tells_the_gender():
    # "Ms." alone decides (two pronouns' worth); one "he" of a misread does not overturn it; no title, one pronoun:
    # unknown, as before
    text = "Ms. Berg opened the bridge. Ann Berg spoke, and he was there. Mart Laar came. He left."
    found = discovered(text, ("Berg", "PERSON", 0), ("Ann Berg", "PERSON", 0), ("Mart Laar", "PERSON", 0))
    assert found["Ann Berg"].gender == "female" and found["Mart Laar"].gender is None


def test_a_title_the_recogniser_takes_for_a_name_is_the_person_s_descriptor():
    # Wire copy capitalises titles: "Harbour Authority Spokesman" (ORG) is no actor, but the title of the name after it
    text = ("Harbour Authority Spokesman Ann Berg told reporters. Ferries stopped, Berg said. "
            "The Harbour Authority closed the port.")
    found = discovered(text, ("Harbour Authority Spokesman", "ORG", 0), ("Ann Berg", "PERSON", 0),
                       ("Berg", "PERSON", 0), ("Harbour Authority", "ORG", 1))
    assert set(found) == {"Ann Berg", "Harbour Authority"}
    assert found["Ann Berg"].descriptors == ("Harbour Authority Spokesman",)



def test_discovery_keeps_numbers_not_python_objects_per_name_memory():
    import itertools
    import tracemalloc

    from newslens.actors import _Occurrences

    letters = "abcdefghijklmnopqrstuvwxyz"
    names = [f"Zorba{a}{b}{c}" for a, b, c in itertools.islice(itertools.product(letters, repeat=3), 2000)]
    tracemalloc.start()
    try:
        occurrences = _Occurrences()
        for number, name in enumerate(names):  # 2,000 names, once each
            occurrences.add("d", 10 * number, 10 * number + 8, "PERSON", name)
        held, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # Per name: its key and its spelling as strings (57 bytes each), an entry in two dicts (about 100 bytes with
    # their slack), 4-byte integers for its labels (8), first occurrence (3), spelling (3) and occurrence (3 + a
    # document run's 12 bytes): about 300. Three Counters and a tuple per name, as kept before, took 813.
    assert held <= 2000 * 350
    assert occurrences.label_counts(7) == {"PERSON": 1} and occurrences.first(7) == ("d", 70, 78)
    assert occurrences.spelling_counts(1999) == {names[1999]: 1}

# --- registry and discovery merged --------------------------------------------------------------------------------


def test_registry_wins_and_discovery_fills_in():
    registry = parse_registry([
        {"name": "Kaja Kallas", "kind": "person", "gender": "female", "aliases": ["Kallas"],
         "affiliation": "European Union"},
        {"name": "European Union", "kind": "organisation", "aliases": ["EU"]},
        {"name": "Russia", "kind": "country", "aliases": ["Moscow"]},
    ])
    found = parse_registry([
        {"name": "Kaia Kallas", "kind": "person", "aliases": ["Kallas", "Kaia Callas"],
         "descriptors": ["EU foreign policy chief"]},
        {"name": "Moscow Kremlin", "kind": "organisation", "aliases": ["Moscow", "EU"]},  # touches two entries
        {"name": "Dmitry Peskov", "kind": "person", "gender": "male", "aliases": ["Peskov"]},
    ])
    merged = {actor.name: actor for actor in merge_registries(registry, found)}
    assert list(merged) == ["Kaja Kallas", "European Union", "Russia", "Dmitry Peskov"]
    kallas = merged["Kaja Kallas"]
    assert kallas.aliases == ("Kallas", "Kaia Kallas", "Kaia Callas")
    assert (kallas.kind, kallas.gender, kallas.affiliation, kallas.descriptors) == (
        "person", "female", "European Union", ())
    assert merged["Russia"].aliases == ("Moscow",)
    assert merged["Dmitry Peskov"] == found[2]
    parse_registry([vars(actor) | {"aliases": list(actor.aliases), "descriptors": list(actor.descriptors)}
                    for actor in merged.values()])  # still a valid registry


def test_no_registry_and_no_entities_gives_a_clear_message(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text("quiet day\n\nnothing happened here, and nobody said anything at all.\n")
    documents = pd.DataFrame({"doc_id": ["a"], "text": ["quiet day\n\nnothing happened here, and nobody said "
                                                         "anything at all."]})
    setup = actors_for_corpus(documents, corpus)
    assert setup.registry == [] and len(setup.table) == 0
    assert setup.message.startswith("No actors to analyse: there is no actor registry, and the named-entity "
                                    "recogniser found no person, organisation or place in these 1 documents")
    off = actors_for_corpus(documents, corpus, discover=False)
    assert off.registry == [] and "discovery is off (discover_actors = False)" in off.message


def test_user_registry_with_discovery_says_both(seed_corpus):
    setup = actors_for_corpus(seed_corpus.documents, SEEDS)
    registry = load_registry(SEEDS / "actors.yaml")
    assert setup.registry[:len(registry)] != [] and [a.name for a in setup.registry[:len(registry)]] == [
        a.name for a in registry]
    assert setup.message.startswith("actor registry: actors.yaml beside the corpus: 24 actors, which win")


# --- the parse cache ----------------------------------------------------------------------------------------------

COLUMNS = {"start": "int64", "end": "int64", "label": "str", "surface": "str"}


def test_cache_hit_miss_and_empty_documents(tmp_path):
    cache = DocumentCache(tmp_path, "entities", "model-a|v1", COLUMNS)
    one = pd.DataFrame({"start": [0], "end": [5], "label": ["PERSON"], "surface": ["Putin"]})
    none = pd.DataFrame(columns=list(COLUMNS))
    cache.put({"k1": one, "k2": none})
    got = cache.get(["k1", "k2", "k3"])
    assert sorted(got) == ["k1", "k2"] and (cache.hits, cache.misses) == (2, 1)
    pd.testing.assert_frame_equal(got["k1"], one)
    assert len(got["k2"]) == 0
    # Another model or code version never reads these entries.
    assert DocumentCache(tmp_path, "entities", "model-b|v1", COLUMNS).get(["k1"]) == {}


def test_rows_of_the_keys_asked_for_across_shards(tmp_path):
    cache = DocumentCache(tmp_path, "entities", "model-a|v1", COLUMNS)
    putin = pd.DataFrame({"start": [0, 10], "end": [5, 15], "label": ["PERSON"] * 2, "surface": ["Putin", "Putin"]})
    trump = pd.DataFrame({"start": [3], "end": [8], "label": ["PERSON"], "surface": ["Trump"]})
    # "aa1" and "aa2" share a shard; "ab1" has a shard of its own that holds only "no rows".
    cache.put({"aa1": putin, "aa2": trump, "ab1": pd.DataFrame(columns=list(COLUMNS))})
    rows, present = cache.rows(["aa2", "ab1", "zz9"])
    assert present == {"aa2", "ab1"} and (cache.hits, cache.misses) == (2, 1)
    assert list(rows["text_sha256"]) == ["aa2"] and list(rows["surface"]) == ["Trump"]
    assert rows["start"].dtype == "int64" and rows["start"].tolist() == [3]
    rows, _ = cache.rows(["ab1", "aa1"])
    assert rows["start"].tolist() == [0, 10]  # a key's rows together, in their stored order


def test_present_keys_from_the_key_column_alone(tmp_path):
    cache = DocumentCache(tmp_path, "entities", "model-a|v1", COLUMNS)
    trump = pd.DataFrame({"start": [3], "end": [8], "label": ["PERSON"], "surface": ["Trump"]})
    cache.put({"aa1": trump, "ab1": pd.DataFrame(columns=list(COLUMNS))})  # ab1: "no rows", still present
    assert cache.present(["aa1", "aa2", "ab1", "zz9"]) == {"aa1", "ab1"}
    assert cache.present([]) == set()
    shard = cache.folder / "ab.parquet"
    shard.write_bytes(b"not parquet")
    assert cache.present(["aa1", "ab1"]) == {"aa1"}  # an unreadable shard: its keys are missing, not an error
    assert shard.exists()  # ... and left to ``rows``, which warns and deletes it


def test_a_later_put_replaces_a_keys_rows_and_keeps_its_shard_neighbours(tmp_path):
    cache = DocumentCache(tmp_path, "entities", "model-a|v1", COLUMNS)
    putin = pd.DataFrame({"start": [0, 10], "end": [5, 15], "label": ["PERSON"] * 2, "surface": ["Putin", "Putin"]})
    trump = pd.DataFrame({"start": [3], "end": [8], "label": ["PERSON"], "surface": ["Trump"]})
    none = pd.DataFrame(columns=list(COLUMNS))
    cache.put({"ab1": none})  # a shard of "no rows" only: its columns have no type yet
    cache.put({"ab2": trump, "aa1": none, "aa2": trump})
    cache.put({"aa1": putin})  # replaces aa1's "no rows"; aa2 stays
    cache.put({"aa2": none})  # aa2 now has no rows
    rows, present = cache.rows(["aa1", "aa2", "ab1", "ab2"])
    assert present == {"aa1", "aa2", "ab1", "ab2"}
    assert rows["text_sha256"].tolist() == ["aa1", "aa1", "ab2"]
    assert rows["surface"].tolist() == ["Putin", "Putin", "Trump"] and rows["end"].tolist() == [5, 15, 8]


def test_rows_put_in_any_order_are_stored_by_shard_in_their_order_with_their_types(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    cache = DocumentCache(tmp_path, "entities", "model-a|v1", COLUMNS)
    rows = pd.DataFrame({"text_sha256": ["ab1", "aa1", "ab1", "aa1"], "start": [7, 0, 3, 10], "end": [9, 5, 4, 15],
                         "label": ["GPE", "PERSON", "ORG", "PERSON"], "surface": ["Kyiv", "Putin", "EU", "Putin"]})
    cache.put_rows(rows, ["aa1", "ab1", "ac1"])  # ac1: no rows
    shard = pq.read_table(cache.folder / "ab.parquet")
    assert shard.column("start").to_pylist() == [7, 3]  # a key's rows in the order given, not sorted
    assert shard.schema.field("start").type == pa.int64()  # numbers as numbers, not Python objects
    assert pq.read_table(cache.folder / "ac.parquet").to_pylist() == [
        {"text_sha256": "ac1", "start": None, "end": None, "label": None, "surface": None}]
    found, present = cache.rows(["aa1", "ab1", "ac1"])
    assert present == {"aa1", "ab1", "ac1"}
    assert found["text_sha256"].tolist() == ["aa1", "aa1", "ab1", "ab1"] and found["start"].tolist() == [0, 10, 7, 3]


def test_corrupt_shard_is_deleted_and_rebuilt(tmp_path):
    cache = DocumentCache(tmp_path, "entities", "model-a|v1", COLUMNS)
    key = text_key("Putin spoke.")
    cache.put({key: pd.DataFrame({"start": [0], "end": [5], "label": ["PERSON"], "surface": ["Putin"]})})
    shard = next(cache.folder.glob("*.parquet"))
    shard.write_bytes(shard.read_bytes()[:40])  # truncated, as by a crash or a full disk
    with pytest.warns(UserWarning, match="is corrupt"):
        assert cache.get([key]) == {}
    assert not shard.exists()


def test_shard_without_a_column_is_corrupt_deleted_and_its_documents_missing(tmp_path):
    cache = DocumentCache(tmp_path, "entities", "model-a|v1", COLUMNS)
    cache.put({"aa1": pd.DataFrame({"start": [0], "end": [5], "label": ["PERSON"], "surface": ["Putin"]})})
    shard = cache.folder / "aa.parquet"
    pd.DataFrame({"text_sha256": ["aa1"], "start": [0], "end": [5], "label": ["PERSON"]}).to_parquet(shard)
    with pytest.warns(UserWarning, match="aa.parquet is corrupt .ValueError: missing column 'surface'"):
        assert cache.rows(["aa1"])[1] == set()
    assert not shard.exists()


def _people(*surfaces):
    return pd.DataFrame({"start": range(len(surfaces)), "end": range(1, len(surfaces) + 1),
                         "label": ["PERSON"] * len(surfaces), "surface": list(surfaces)})


def test_a_shard_is_read_and_copied_in_small_row_groups(tmp_path, monkeypatch):
    import pyarrow.parquet as pq
    import newslens.cache as cache_module

    monkeypatch.setattr(cache_module, "SHARD_ROW_GROUP_ROWS", 2)
    cache = DocumentCache(tmp_path, "entities", "model-a|v1", COLUMNS)
    cache.put({"aa1": _people("Putin", "Putin", "Putin"), "aa2": _people("Trump")})  # 4 rows: groups of 2 and 2
    cache.put({"aa3": _people("Zelensky", "Witkoff")})  # the old groups copied as they are, the new one after
    shard = pq.ParquetFile(cache.folder / "aa.parquet")
    assert [shard.metadata.row_group(i).num_rows for i in range(shard.num_row_groups)] == [2, 2, 2]
    read, scanned = [], []
    real = pq.ParquetFile.read_row_groups
    monkeypatch.setattr(pq.ParquetFile, "read_row_groups",
                        lambda self, groups, **kwargs: read.append(list(groups)) or real(self, groups, **kwargs))
    real_group = pq.ParquetFile.read_row_group
    monkeypatch.setattr(pq.ParquetFile, "read_row_group", lambda self, group, **kwargs: scanned.append(
        (group, kwargs.get("columns"))) or real_group(self, group, **kwargs))
    rows, present = cache.rows(["aa3"])
    assert read == [[2]] and present == {"aa3"} and rows["surface"].tolist() == ["Zelensky", "Witkoff"]
    # The keys are looked for a row group at a time, never the whole key column at once.
    assert scanned == [(0, ["text_sha256"]), (1, ["text_sha256"]), (2, ["text_sha256"])]
    rows, _ = cache.rows(["aa2", "aa1"])  # aa1's rows span the first two groups
    assert read[-1] == [0, 1] and rows["surface"].tolist() == ["Putin"] * 3 + ["Trump"]
    cache.put({"aa1": _people("Lavrov")})  # a key whose rows span two groups is replaced whole
    rows, _ = cache.rows(["aa1", "aa2", "aa3"])
    assert rows["surface"].tolist() == ["Lavrov", "Trump", "Zelensky", "Witkoff"]


def test_a_shard_of_wide_rows_has_row_groups_of_about_a_set_size(tmp_path, monkeypatch):
    import pyarrow.parquet as pq
    import newslens.cache as cache_module

    # Rows of about 1,100 bytes (a surface of 1,000 characters, the 64-character key, offsets and numbers): 2 fit
    # in 2,500 bytes, however many rows a group could hold.
    monkeypatch.setattr(cache_module, "SHARD_ROW_GROUP_BYTES", 2_500)
    cache = DocumentCache(tmp_path, "entities", "model-a|v1", COLUMNS)
    cache.put({"aa1": _people(*("x" * 1_000 for _ in range(5)))})
    shard = pq.ParquetFile(cache.folder / "aa.parquet")
    assert [shard.metadata.row_group(i).num_rows for i in range(shard.num_row_groups)] == [2, 2, 1]
    assert cache.rows(["aa1"])[0]["surface"].tolist() == ["x" * 1_000] * 5


def test_a_shard_whose_row_group_cannot_be_read_keeps_only_the_new_rows(tmp_path, monkeypatch):
    import pyarrow.parquet as pq
    import newslens.cache as cache_module

    monkeypatch.setattr(cache_module, "SHARD_ROW_GROUP_ROWS", 2)
    cache = DocumentCache(tmp_path, "entities", "model-a|v1", COLUMNS)
    cache.put({"aa1": _people("Putin", "Putin", "Putin")})  # groups of 2 and 1 rows
    real = pq.ParquetFile.read_row_group

    def failing(self, group, **kwargs):
        if group == 1:
            raise OSError("bad page")
        return real(self, group, **kwargs)

    monkeypatch.setattr(pq.ParquetFile, "read_row_group", failing)
    with pytest.warns(UserWarning, match="aa.parquet is corrupt .OSError: bad page"):
        cache.put({"aa2": _people("Trump")})
    monkeypatch.undo()
    # Not aa1's first two rows without its third: aa1 is missing (parsed again), aa2 is stored.
    rows, present = cache.rows(["aa1", "aa2"])
    assert present == {"aa2"} and rows["surface"].tolist() == ["Trump"]
    assert not list(cache.folder.glob("*.partial"))


def test_find_entities_cold_warm_and_tampered_cache_agree(tmp_path, seed_corpus):
    documents = seed_corpus.documents.head(2)
    cold = find_entities(documents, cache_dir=tmp_path)
    warm = find_entities(documents, cache_dir=tmp_path)
    pd.testing.assert_frame_equal(cold, warm)
    assert cold.loc[0, "surface"] == "Putin"  # the first word of seed 000's title
    # An entry whose offsets no longer spell its surfaces (stale or damaged) is parsed again.
    shard = next(p for p in Path(tmp_path).rglob("*.parquet")
                 if text_key(documents["text"].iloc[0]) in set(pd.read_parquet(p)["text_sha256"]))
    frame = pd.read_parquet(shard)
    frame["start"] = frame["start"] + 1
    frame.to_parquet(shard, index=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pd.testing.assert_frame_equal(find_entities(documents, cache_dir=tmp_path), cold)


def test_find_entities_gives_each_document_the_rows_of_its_text_in_document_order(tmp_path, seed_corpus):
    first, second = seed_corpus.documents.head(2).itertuples()
    documents = pd.DataFrame({"doc_id": ["z_first", "a_second", "m_copy_of_first"],
                              "text": [first.text, second.text, first.text]})  # ids not in sorted order
    for run in ("cold", "warm"):
        found = find_entities(documents, cache_dir=tmp_path)
        assert list(dict.fromkeys(found["doc_id"])) == ["z_first", "a_second", "m_copy_of_first"], run
        rows = {doc_id: group.drop(columns="doc_id").reset_index(drop=True)
                for doc_id, group in found.groupby("doc_id")}
        pd.testing.assert_frame_equal(rows["m_copy_of_first"], rows["z_first"])
        assert rows["z_first"]["start"].is_monotonic_increasing and rows["z_first"].loc[0, "surface"] == "Putin"


# --- notebook 02 end to end ----------------------------------------------------------------------------------------


def report_files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_notebook_02_outputs_are_the_same_with_cold_warm_and_no_cache(tmp_path):
    from newslens.runner import main

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for path in SEEDS.glob("*.txt"):  # the seeds without their actors.yaml: every actor is discovered
        (corpus / path.name).write_bytes(path.read_bytes())
    cache = tmp_path / "cache"
    runs = {}
    for name, cache_option in (("cold", str(cache)), ("warm", str(cache)), ("off", "")):
        out = tmp_path / name / "outputs"
        assert main(["run", "02_actor_sentiment", "--corpus", str(corpus), "--out", str(out),
                     "--cache", cache_option]) == 0
        runs[name] = report_files(out)
        if name == "cold":
            assert sorted(p.name for p in cache.iterdir()) and any(cache.rglob("*.parquet"))
    assert runs["cold"] == runs["warm"] == runs["off"]
    assert "02_actor_sentiment/actors_discovered.yaml" in runs["cold"]
    assert b"Kaja Kallas" in runs["cold"]["02_actor_sentiment/actors_discovered.yaml"]


def test_notebook_02_without_actors_says_so(tmp_path):
    from newslens.runner import main

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text("quiet day\n\nnothing happened here, and nobody said anything at all.\n")
    out = tmp_path / "outputs"
    assert main(["run", "02_actor_sentiment", "--corpus", str(corpus), "--out", str(out), "--cache", ""]) == 0
    report = (out / "02_actor_sentiment" / "02_actor_sentiment.html").read_text(encoding="utf-8")
    assert report.count("No actors to analyse: there is no actor registry, and the named-entity recogniser found "
                        "no person, organisation or place in these 1 documents.") >= 2
    assert "No actor discovered." in report and "No quote is attributed to any actor." in report
    # The one table after the message lists the quote with its source, which is no actor: "nobody".
    after = report.split("No actors to analyse", 1)[1]
    assert after.count("<table") == 1 and "nobody" in after and "anything at all" in after


def test_cached_attributions_are_the_parsed_ones(tmp_path, seed_corpus):
    from newslens.actors import cached_attributions
    from newslens.attribution import find_attributions_many

    documents = seed_corpus.documents.head(2)
    parsed = find_attributions_many(list(documents["text"]))
    assert sum(map(len, parsed)) > 0
    assert cached_attributions(documents, cache_dir=tmp_path) == parsed  # cold
    assert cached_attributions(documents, cache_dir=tmp_path) == parsed  # warm, read back from Parquet


def test_cached_attributions_are_kept_as_columns_until_asked_for(tmp_path, monkeypatch):
    from newslens import actors as act
    from newslens.attribution import Attribution

    # Hand-made attributions stored for two texts (the parser is not run): one with every optional field missing.
    first, second = "Peace, she said. Yes.", "They said so."
    stored = {first: [Attribution(None, None, None, None, 0, 6, "direct"), Attribution(7, 10, 11, 15, 0, 6,
                                                                                         "reported", 7, 10)],
              second: [Attribution(0, 4, 5, 9, 10, 12, "reported", 0, 4)]}
    monkeypatch.setattr(act, "find_attributions_many", lambda texts, **_: [stored[text] for text in texts])
    documents = pd.DataFrame({"doc_id": ["a", "b", "c", "d"], "text": [first, second, first, "Nothing."]})
    stored["Nothing."] = []
    assert act.cached_attributions(documents, cache_dir=tmp_path) == [stored[first], stored[second], stored[first],
                                                                      []]  # parsed, then stored
    monkeypatch.setattr(act, "find_attributions_many", lambda texts, **_: pytest.fail("parsed again"))
    lists = act._attributions_by_document(documents, 1, tmp_path, None)
    assert not lists.fresh and len(lists) == 4  # all read back, as columns
    assert list(lists) == [stored[first], stored[second], stored[first], []] and lists[1] == stored[second]


def test_a_cached_attribution_that_does_not_fit_its_text_is_parsed_again(tmp_path, monkeypatch):
    from newslens import actors as act
    from newslens.attribution import Attribution
    from newslens.cache import text_key

    text = "Peace, she said."
    good = [Attribution(7, 10, 11, 15, 0, 6, "reported", 7, 10)]
    monkeypatch.setattr(act, "find_attributions_many", lambda texts, **_: [good for _ in texts])
    cache = act._attribution_cache(tmp_path)
    # Stored for this text, yet ending past its 16 characters: damaged.
    cache.put_rows(pd.DataFrame({"text_sha256": [text_key(text)], "source_start": [7], "source_end": [10],
                                 "cue_start": [11], "cue_end": [15], "content_start": [0], "content_end": [40],
                                 "kind": ["reported"], "head_start": [7], "head_end": [10]}), [text_key(text)])
    lists = act._attributions_by_document(pd.DataFrame({"doc_id": ["a"], "text": [text]}), 1, tmp_path, None)
    assert lists.fresh == {text_key(text): good} and list(lists) == [good]
