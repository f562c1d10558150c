"""Registry, mentions, unknown names and quotes, on sentences taken from the seed articles.

Expectations were worked out by reading the sentences, not by running the code.
"""
from pathlib import Path

import pandas as pd
import pytest

from newslens.actors import (Actor, RegistryError, actors_by_mentions, find_mentions, find_quotes, found_by_counts,
                             load_registry, mention_counts, parse_registry, unknown_names)
from newslens.parts import PartsWriter

SEEDS = Path(__file__).resolve().parents[1] / "seeds"


@pytest.fixture(scope="module")
def registry():
    return load_registry(SEEDS / "actors.yaml")


def seed_documents() -> pd.DataFrame:
    """The seed articles read directly, with repeated paragraphs dropped as the corpus loader does (seed 002)."""
    rows = []
    for path in sorted(SEEDS.glob("*.txt")):
        seen, lines = set(), []
        for line in path.read_text(encoding="utf-8").split("\n"):
            if len(line) > 80 and line in seen:
                continue
            seen.add(line)
            lines.append(line)
        rows.append((path.stem, "\n".join(lines)))
    return pd.DataFrame(rows, columns=["doc_id", "text"])


def docs(*texts: str) -> pd.DataFrame:
    return pd.DataFrame({"doc_id": [f"d{i}" for i in range(len(texts))], "text": list(texts)})


def mentions_of(text: str, registry) -> list[tuple[str, str, str]]:
    found = find_mentions(docs(text), registry)
    return list(zip(found["surface"], found["actor"], found["found_by"]))


def quotes_of(text: str, registry) -> pd.DataFrame:
    documents = docs(text)
    return find_quotes(documents, registry, find_mentions(documents, registry))


# --- registry ----------------------------------------------------------------------------------------------------


def test_seed_registry_has_the_required_actors(registry):
    names = {actor.name for actor in registry}
    assert {"Vladimir Putin", "Volodymyr Zelensky", "Kaja Kallas", "Steve Witkoff", "Donald Trump", "Marco Rubio",
            "Jared Kushner", "Dmitry Peskov", "Yuri Ushakov", "Rustem Umerov", "Alexander Lukashenko",
            "Sergei Lavrov", "Emmanuel Macron", "Keir Starmer", "Andriy Yermak", "Russia", "Ukraine",
            "European Union", "United States", "United Kingdom", "NATO", "Belarus", "Europe"} <= names
    by_name = {actor.name: actor for actor in registry}
    assert by_name["Vladimir Putin"].affiliation == "Russia"
    assert by_name["Kaja Kallas"].gender == "female"
    assert {"Kaia Callas", "Kaya Kallas", "Kaia Kallas"} <= set(by_name["Kaja Kallas"].aliases)
    assert isinstance(by_name["Russia"], Actor) and by_name["Russia"].kind == "country"


def write(tmp_path, text: str) -> Path:
    path = tmp_path / "actors.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_alias_claimed_twice_names_file_entry_and_owner(tmp_path):
    path = write(tmp_path, """
actors:
  - {name: European Union, kind: organisation, aliases: [EU]}
  - {name: Kaja Kallas, kind: person, aliases: [Kallas, eu]}
""")
    with pytest.raises(RegistryError) as error:
        load_registry(path)
    message = str(error.value)
    assert str(path) in message and "actor #2 'Kaja Kallas'" in message
    assert "'eu'" in message and "'European Union'" in message



def test_a_name_used_twice_names_the_second_entry(tmp_path):
    path = write(tmp_path, """
actors:
  - {name: Kaja Kallas, kind: person}
  - {name: European Union, kind: organisation}
  - {name: Kaja Kallas, kind: person, aliases: [Kallas]}
""")
    with pytest.raises(RegistryError, match="actor #3 'Kaja Kallas': name 'Kaja Kallas' is already used"):
        load_registry(path)

@pytest.mark.parametrize("entry, expected", [
    ("{name: Putin, kind: person, alias: [Vladimir]}", "unknown field 'alias'"),
    ("{name: '  ', kind: person}", "actor #1: empty or missing name"),
    ("{kind: person}", "actor #1: empty or missing name"),
    ("{name: Putin, kind: human}", "kind must be one of"),
    ("{name: Putin, kind: person, gender: m}", "gender must be"),
    ("{name: Russia, kind: country, gender: male}", "only for a person"),
    ("{name: Putin, kind: person, aliases: [Vladimir, '']}", "empty entry in aliases"),
    ("{name: Putin, kind: person, affiliation: Rusia}", "affiliation 'Rusia' is not another actor"),
])
def test_registry_errors(tmp_path, entry, expected):
    path = write(tmp_path, f"actors:\n  - {entry}\n")
    with pytest.raises(RegistryError, match=expected) as error:
        load_registry(path)
    assert str(error.value).startswith(f"{path}: ")


def test_registry_file_problems(tmp_path):
    with pytest.raises(RegistryError, match="file not found"):
        load_registry(tmp_path / "missing.yaml")
    with pytest.raises(RegistryError, match="not valid YAML"):
        load_registry(write(tmp_path, "actors: [\n"))
    with pytest.raises(RegistryError, match="unknown top-level key 'people'"):
        load_registry(write(tmp_path, "people: []\n"))
    with pytest.raises(RegistryError, match="non-empty list"):
        parse_registry({"actors": []})


def test_same_alias_twice_within_one_actor_is_fine():
    actors = parse_registry([{"name": "Kaja Kallas", "kind": "person", "aliases": ["Kallas", "Kallas"]}])
    assert actors[0].aliases == ("Kallas",)


# --- mentions ----------------------------------------------------------------------------------------------------


def test_misspelt_kallas_is_kallas(registry):
    text = ("Kaia Callas\n\nEU foreign policy chief\n\n"
            "So, of course, if they are beneficial to Russia, then it is clear that it also comes from that side, "
            "- concluded Kaya Kallas.")
    found = mentions_of(text, registry)
    assert ("Kaia Callas", "Kaja Kallas", "alias") in found
    assert ("Kaya Kallas", "Kaja Kallas", "alias") in found
    # On a line of its own the descriptor names her (it carries a capital, so it counts without her name).
    assert ("EU foreign policy chief", "Kaja Kallas", "descriptor") in found


def test_seed_001_names_kallas_at_least_ten_times(registry):
    documents = seed_documents()
    found = find_mentions(documents[documents["doc_id"].str.startswith("001_")], registry)
    named = found[(found["actor"] == "Kaja Kallas") & found["found_by"].isin(["name", "alias"])]
    assert len(named) >= 10
    assert {"Kallas", "Kaia Kallas", "Kaia Callas", "Kaya Kallas"} <= set(named["surface"])


def test_other_misspellings(registry):
    found = mentions_of("In late November, Ukrainian representatives and the US team, which also included Vitkoff, "
                        "Kushner and US Secretary of State Marco Rubio, discussed the peace plan. Peskov said the "
                        "meeting between Putin and Ukrainian President Volodymyr Zhelensky could not be ruled out. "
                        "Delegates from Kiev and Moscow have met.", registry)
    actors = [(surface, actor) for surface, actor, _ in found]
    assert ("Vitkoff", "Steve Witkoff") in actors
    assert ("Volodymyr Zhelensky", "Volodymyr Zelensky") in actors
    assert ("Kiev", "Ukraine") in actors and ("Moscow", "Russia") in actors
    assert ("Marco Rubio", "Marco Rubio") in actors
    # "Ukrainian President" is a title in front of the name: one mention, not two.
    assert [a for _, a in actors].count("Volodymyr Zelensky") == 1


def test_longest_match_possessives_and_case(registry):
    found = mentions_of("Russia’s war. Zelenskyy's office. KALLAS SPEAKS. President Vladimir Putin's aide.", registry)
    assert ("Russia", "Russia", "name") in found
    assert ("Zelenskyy", "Volodymyr Zelensky", "alias") in found
    assert ("KALLAS", "Kaja Kallas", "alias") in found
    assert ("Vladimir Putin", "Vladimir Putin", "name") in found
    assert ("Putin", "Vladimir Putin", "alias") not in found


def test_us_is_not_the_pronoun_us(registry):
    assert mentions_of("She welcomed the US's desire to end the war.", registry) == [("US", "United States", "alias")]
    assert mentions_of("Join us in Geneva; the U.S. team and Washington agreed.", registry) == [
        ("U.S.", "United States", "alias"), ("Washington", "United States", "alias")]
    # A lower-case name is an ordinary word.
    assert mentions_of("That was his trump card.", registry) == []


def test_adjectives_are_not_countries(registry):
    found = mentions_of("Russian aggression and Ukrainian territory were discussed by the Russians.", registry)
    assert found == []


def test_descriptors(registry):
    # A title in front of the name is not a second mention; the Kremlin inside it still is.
    found = mentions_of("the Kremlin spokesman Dmitry Peskov said on Friday.", registry)
    assert found == [("Kremlin", "Kremlin", "name"), ("Dmitry Peskov", "Dmitry Peskov", "name")]
    # Standing alone it names Peskov, and "Kremlin" is part of it rather than an extra mention.
    found = mentions_of("Kremlin spokesman said that the meeting was constructive.", registry)
    assert found == [("Kremlin spokesman", "Dmitry Peskov", "descriptor")]
    found = mentions_of("The Russian dictator said Europeans were living under a false illusion.", registry)
    assert found == [("The Russian dictator", "Vladimir Putin", "descriptor")]


def test_generic_descriptor_needs_the_name_in_the_document(registry):
    sentence = "The top diplomat noted that Russia is not scaling back its military machine."
    alone = mentions_of(sentence, registry)
    assert "Kaja Kallas" not in [actor for _, actor, _ in alone]
    with_name = mentions_of("Kallas spoke in Brussels. " + sentence, registry)
    assert ("The top diplomat", "Kaja Kallas", "descriptor") in with_name


def test_she_after_a_sentence_without_women_is_kallas(registry):
    text = ("This was stated by the European Union's chief diplomat Kaja Kallas, according to The Guardian.\n"
            "The agreement must include concessions on the part of the Russian Federation.\n"
            "She welcomed the US's desire to end the war.")
    found = find_mentions(docs(text), registry)
    she = found[found["surface"] == "She"].iloc[0]
    assert she["actor"] == "Kaja Kallas" and she["found_by"] == "pronoun"
    assert she["antecedent_start"] == text.index("Kaja Kallas")
    # "European Union's" belongs to the EU; the descriptor in front of her name is a title, not a mention.
    assert list(found["surface"]) == ["European Union", "Kaja Kallas", "Russian Federation", "She", "US"]


def test_pronoun_prefers_the_previous_subject(registry):
    text = ("Rubio told Fox News that the United States had made some progress, saying much depended on Putin. "
            "He noted that only Putin can end the war.")
    found = find_mentions(docs(text), registry)
    assert found.loc[found["surface"] == "He", "actor"].item() == "Marco Rubio"


def test_pronoun_skips_a_possessive(registry):
    text = ("Putin’s adviser Yuri Ushakov said the Kremlin agreed with some points\n\n"
            "but that there were things that had been criticized. He added that a compromise had not been reached.")
    found = find_mentions(docs(text), registry)
    assert list(zip(found["surface"], found["actor"])) == [
        ("Putin", "Vladimir Putin"), ("Yuri Ushakov", "Yuri Ushakov"), ("Kremlin", "Kremlin"),
        ("He", "Yuri Ushakov")]


def test_pronouns_in_the_same_sentence(registry):
    found = mentions_of("Putin cannot achieve his goals on battlefield, so he is resorting to negotiations, - Kallas",
                        registry)
    assert found == [("Putin", "Vladimir Putin", "alias"), ("his", "Vladimir Putin", "pronoun"),
                     ("he", "Vladimir Putin", "pronoun"), ("Kallas", "Kaja Kallas", "alias")]
    found = mentions_of("Russia is not scaling back its military machine, but rather expanding it.", registry)
    assert found == [("Russia", "Russia", "name"), ("its", "Russia", "pronoun")]


def test_pronoun_without_antecedent_is_dropped(registry):
    assert mentions_of("She said it was over. He left.", registry) == []
    # Too far back: three sentences in between.
    text = "Kallas spoke. One. Two. Three. She left."
    assert [s for s, _, _ in mentions_of(text, registry)] == ["Kallas"]


def test_mention_columns_and_sentences(registry):
    text = "Kallas spoke.\nPutin listened."
    found = find_mentions(docs(text), registry)
    assert list(found.columns) == ["doc_id", "actor", "surface", "start", "end", "sent_start", "sent_end",
                                   "found_by", "antecedent_start"]
    putin = found.iloc[1]
    assert (putin["start"], putin["end"], putin["sent_start"], putin["sent_end"]) == (14, 19, 14, 29)
    assert found["antecedent_start"].isna().all()
    assert find_mentions(docs(""), registry).empty


def test_the_title_a_document_gave_one_person_is_that_person():
    registry = parse_registry({"actors": [
        {"name": "Anna Berg", "kind": "person"}, {"name": "Mart Laar", "kind": "person"},
        {"name": "Liis Tamm", "kind": "person"}]})
    text = ("Harbour spokeswoman Anna Berg said the ferry stopped. Mart Laar, the city's mayor, agreed. "
            "The spokeswoman added that repairs would take a week. The mayor said nothing more.")
    assert mentions_of(text, registry) == [
        ("Anna Berg", "Anna Berg", "name"), ("Mart Laar", "Mart Laar", "name"),
        ("The spokeswoman", "Anna Berg", "title"), ("The mayor", "Mart Laar", "title")]
    # the quote's speaker is then the person
    quote = quotes_of(text, registry).set_index("quote").loc["repairs would take a week"]
    assert (quote["speaker"], quote["source"]) == ("Anna Berg", "The spokeswoman")
    # not: a title two people of the document hold, a title given only later, another holder ("the mayor of …"),
    # a predicate ("to be the mayor"), "the president", the last word of the sentence before a name
    for text in ["Mayor Anna Berg met Mayor Mart Laar. The mayor spoke.",
                 "The mayor spoke. Mayor Anna Berg left.",
                 "Mayor Anna Berg spoke. The mayor of Tartu left.",
                 "Mayor Anna Berg spoke. Liis Tamm wants to be the mayor.",
                 "President Anna Berg spoke. The president left.",
                 "Liis Tamm won as mayor. Anna Berg spoke. The mayor left."]:  # "mayor." ends a sentence
        assert "title" not in [found_by for *_, found_by in mentions_of(text, registry)], text


def test_credits_are_nobody_s_mention():
    # The dateline's place and wire service, the byline and the reporting credits credit the article: no mention.
    registry = parse_registry({"actors": [
        {"name": "Tallinn", "kind": "country"}, {"name": "Wire Service", "kind": "organisation", "aliases": ["Wire"]},
        {"name": "Anna Berg", "kind": "person"}, {"name": "Mart Laar", "kind": "person"}]})
    text = ("Bridge opens\nBy Anna Berg | Wire Service\nTALLINN (Wire) - Mart Laar opened a bridge in Tallinn.\n"
            "Anna Berg watched. (Reporting by Anna Berg; Editing by Mart Laar)")
    assert mentions_of(text, registry) == [("Mart Laar", "Mart Laar", "name"), ("Tallinn", "Tallinn", "name"),
                                           ("Anna Berg", "Anna Berg", "name")]


def test_mentions_found_in_worker_processes(registry, monkeypatch):
    from newslens import actors

    monkeypatch.setattr(actors, "MATCH_PARALLEL_CHARS", 0)
    monkeypatch.setattr(actors, "_MATCH_CHUNK", 1)  # one document per piece of work
    monkeypatch.delenv("NEWSLENS_SCHEDULER", raising=False)
    monkeypatch.delenv("DASK_SCHEDULER_ADDRESS", raising=False)
    documents = pd.DataFrame({"doc_id": ["a", "b"], "text": ["Kallas spoke.\nPutin listened.", "Then she left."]})
    found = find_mentions(documents, registry, jobs=2)
    assert found[["doc_id", "surface", "start", "sent_start", "sent_end"]].values.tolist() == [
        ["a", "Kallas", 0, 0, 13], ["a", "Putin", 14, 14, 29]]  # "she" in b has no antecedent in b
    pd.testing.assert_frame_equal(found, find_mentions(documents, registry))


# --- unknown names -----------------------------------------------------------------------------------------------


def test_unknown_names_on_the_seeds(registry):
    table = unknown_names(seed_documents(), registry)
    assert list(table.columns) == ["name", "count", "documents", "example"]
    by_name = table.set_index("name")
    assert by_name.loc["Geneva", "count"] == 4 and by_name.loc["Geneva", "documents"] == 1
    assert "Geneva" in by_name.loc["Geneva", "example"]
    assert by_name.loc["Guardian", "documents"] == 2
    covered = {"Kallas", "Putin", "Russia", "Ukraine", "Russian", "Ukrainian", "Kiev", "November", "Zelensky"}
    assert not covered & set(table["name"])
    assert (table["count"] >= 2).all()
    everything = unknown_names(seed_documents(), registry, min_count=1)
    assert "Dmitry Kuleba" in set(everything["name"])
    # An ordinary word opening a sentence is no name: "Negotiations are now being conducted ...".
    assert "Negotiations" not in set(everything["name"])


# --- quotes ------------------------------------------------------------------------------------------------------


def one(table: pd.DataFrame) -> pd.Series:
    assert len(table) == 1, table
    return table.iloc[0]


def test_direct_quote_with_inverted_attribution(registry):
    text = ('"We all want this war to end, but how it ends is important. But right now, we see no signs that Russia '
            'is ready for a ceasefire," said Kallas.')
    quote = one(quotes_of(text, registry))
    assert (quote["speaker"], quote["cue"], quote["how"]) == ("Kaja Kallas", "said", "direct")
    assert quote["quote"] == ("We all want this war to end, but how it ends is important. But right now, we see no "
                              "signs that Russia is ready for a ceasefire")
    assert text[quote["quote_start"]:quote["quote_end"]] == quote["quote"]
    assert text[quote["speaker_start"]:quote["speaker_end"]] == "Kallas"


def test_direct_quote_by_pronoun(registry):
    text = ('Kallas spoke in Brussels. "We are getting closer to that," she said.')
    quote = one(quotes_of(text, registry))
    assert (quote["speaker"], quote["quote"], quote["how"]) == ("Kaja Kallas", "We are getting closer to that",
                                                                  "direct")
    assert text[quote["speaker_start"]:quote["speaker_end"]] == "she"


def test_reported_speech(registry):
    quote = one(quotes_of("Kallas stressed that any peace agreement must include concessions from Russia.", registry))
    assert (quote["speaker"], quote["cue"], quote["how"]) == ("Kaja Kallas", "stressed", "reported")
    assert quote["quote"] == "any peace agreement must include concessions from Russia"


def test_adviser_not_boss_is_the_speaker(registry):
    quote = one(quotes_of("Putin’s adviser Yuri Ushakov said the Kremlin agreed with some points", registry))
    assert (quote["speaker"], quote["cue"], quote["quote"]) == ("Yuri Ushakov", "said",
                                                                 "the Kremlin agreed with some points")


def test_according_to_her(registry):
    text = ("Kallas stressed that Russia must give ground. According to her, it is necessary to ensure that Russia "
            "never attacks.")
    table = quotes_of(text, registry)
    quote = one(table[table["how"] == "according_to"])
    assert (quote["speaker"], quote["cue"]) == ("Kaja Kallas", "according to")
    assert quote["quote"] == "it is necessary to ensure that Russia never attacks"
    # "according to The Guardian" is a source but no actor: kept, with no speaker.
    table = quotes_of("This was stated by Kaja Kallas, according to The Guardian.", registry)
    guardian = one(table)
    assert (guardian["cue"], guardian["source"], guardian["how"]) == ("according to", "The Guardian", "according_to")
    assert pd.isna(guardian["speaker"]) and pd.isna(guardian["speaker_start"])


def test_attribution_after_the_reported_words(registry):
    text = ("In particular, it is about NATO infrastructure on Russia’s western borders, the Kremlin spokesman "
            "Dmitry Peskov said on Friday, Interfax agency.")
    quote = one(quotes_of(text, registry))
    assert (quote["speaker"], quote["how"]) == ("Dmitry Peskov", "reported")
    assert quote["quote"] == "In particular, it is about NATO infrastructure on Russia’s western borders"


def test_dash_attributions(registry):
    quote = one(quotes_of("So, of course, if they are beneficial to Russia, then it is clear that it also comes from "
                          "that side, - concluded Kaya Kallas.", registry))
    assert (quote["speaker"], quote["cue"]) == ("Kaja Kallas", "concluded")
    assert quote["quote"] == ("So, of course, if they are beneficial to Russia, then it is clear that it also comes "
                              "from that side")
    quote = one(quotes_of("Putin cannot achieve his goals on battlefield, so he is resorting to negotiations, - Kallas"
                          "\n\nRussian dictator Vladimir Putin is trying.", registry))
    assert (quote["speaker"], quote["how"]) == ("Kaja Kallas", "headline")
    assert quote["quote"] == "Putin cannot achieve his goals on battlefield, so he is resorting to negotiations"


def test_coordinated_cues_and_refusals(registry):
    table = quotes_of("Rubio told Fox News that the United States had made some progress, but declined to say how "
                      "soon an agreement could be reached, saying much depended on Putin.", registry)
    assert table["speaker"].tolist() == ["Marco Rubio", "Marco Rubio"]
    assert table["cue"].tolist() == ["told", "saying"]  # "declined to say" claims nothing
    assert table["quote"].tolist()[1] == "much depended on Putin"
    text = ("Kallas spoke. She welcomed the US's desire to end the war, but stressed that any peace agreement must "
            "include concessions from Russia.")
    table = quotes_of(text, registry)
    # "welcomed" is an attitude attributed to her too (PolNeAR annotates such cues); both are hers.
    assert table["cue"].tolist() == ["welcomed", "stressed"] and set(table["speaker"]) == {"Kaja Kallas"}
    assert table["quote"].tolist()[1] == "any peace agreement must include concessions from Russia"


def test_passive_attribution_points_back(registry):
    text = ("Russian dictator Vladimir Putin is trying to use negotiations to achieve his goals.\n"
            "This was stated by the European Union's chief diplomat Kaja Kallas, according to The Guardian.")
    table = quotes_of(text, registry)
    quote = one(table[table["speaker"].notna()])
    assert (quote["speaker"], quote["cue"], quote["how"]) == ("Kaja Kallas", "stated", "passive")
    assert quote["quote"] == "Russian dictator Vladimir Putin is trying to use negotiations to achieve his goals"


def test_sources_that_are_no_actor_stay_unlinked(registry):
    army = one(quotes_of("The Ukrainian army has reported that fighting is still taking place near Pokrovsk.",
                         registry))
    assert pd.isna(army["speaker"]) and army["source"] == "The Ukrainian army"
    assert army["quote"] == "fighting is still taking place near Pokrovsk"
    # Putin and Witkoff are the nearest names, but the BBC is the source.
    table = quotes_of("Five-hour talks between Putin and Witkoff have not yielded results, writes the BBC.", registry)
    assert table["speaker"].isna().all()


def test_seed_quotes(registry):
    documents = seed_documents()
    table = find_quotes(documents, registry, find_mentions(documents, registry))
    assert list(table.columns) == ["doc_id", "speaker", "cue", "quote", "quote_start", "quote_end", "sent_start",
                                   "how", "speaker_start", "speaker_end", "source"]
    speakers = set(table["speaker"])
    assert {"Kaja Kallas", "Vladimir Putin", "Yuri Ushakov", "Dmitry Peskov", "Marco Rubio",
            "Volodymyr Zelensky"} <= speakers
    texts = dict(zip(documents["doc_id"], documents["text"]))
    for row in table.itertuples():
        assert texts[row.doc_id][row.quote_start:row.quote_end] == row.quote
        assert row.quote


def test_mention_counts_orders_actors_by_mentions_and_keeps_every_document_as_a_column():
    mentions = pd.DataFrame({"actor": ["Blinken", "Adams", "Blinken", "Cruz", "Adams", "Blinken"],
                             "doc_id": ["d2", "d1", "d1", "d3", "d1", "d2"]})
    counts = mention_counts(mentions)
    assert list(counts.index) == ["Blinken", "Adams", "Cruz"]  # 3, 2 and 1 mentions
    assert list(counts.columns) == ["d1", "d2", "d3"]
    assert counts.loc["Blinken"].tolist() == [1, 2, 0]
    assert counts.loc["Adams"].tolist() == [2, 0, 0]
    # The two most mentioned only, but still every document that has a mention (d3 has only Cruz).
    top = mention_counts(mentions, max_actors=2)
    assert list(top.index) == ["Blinken", "Adams"] and list(top.columns) == ["d1", "d2", "d3"]
    assert top.loc["Adams"].tolist() == [2, 0, 0]
    # The first two documents only (by doc_id), with the actors ordered by all their mentions (Cruz is in d3 alone).
    first = mention_counts(mentions, max_documents=2)
    assert list(first.index) == ["Blinken", "Adams", "Cruz"] and list(first.columns) == ["d1", "d2"]
    assert first.to_numpy().tolist() == [[1, 2], [2, 0], [0, 0]]


def test_mention_counts_breaks_ties_by_name():
    mentions = pd.DataFrame({"actor": ["Zelensky", "Macron", "Witkoff", "Witkoff"], "doc_id": ["d1", "d1", "d2", "d2"]})
    assert list(actors_by_mentions(mentions)) == ["Witkoff", "Macron", "Zelensky"]
    assert list(mention_counts(mentions).index) == ["Witkoff", "Macron", "Zelensky"]


def test_counts_of_mentions_in_parts_are_those_of_the_whole_table():
    mentions = pd.DataFrame({"actor": ["Blinken", "Adams", "Blinken", "Cruz", "Adams", "Blinken"],
                             "doc_id": ["d1", "d1", "d1", "d2", "d3", "d3"],
                             "found_by": ["name", "name", "pronoun", "name", "alias", "name"]})
    writer = PartsWriter(mentions)
    for part in (mentions.iloc[:3], mentions.iloc[3:4], mentions.iloc[0:0], mentions.iloc[4:]):  # one part empty
        writer.add(part)
    parts = writer.done()
    expected = pd.DataFrame({"actor": ["Blinken", "Adams", "Cruz"], "alias": [0, 1, 0], "name": [2, 1, 1],
                             "pronoun": [1, 0, 0]})
    for table in (mentions, parts):
        assert list(actors_by_mentions(table)) == ["Blinken", "Adams", "Cruz"]  # 3, 2 and 1 mentions
        counts = mention_counts(table, max_actors=2)
        assert list(counts.index) == ["Blinken", "Adams"] and list(counts.columns) == ["d1", "d2", "d3"]
        assert counts.loc["Blinken"].tolist() == [2, 0, 1] and counts.loc["Adams"].tolist() == [1, 0, 1]
        assert mention_counts(table, max_actors=2, max_documents=1).to_numpy().tolist() == [[2], [1]]
        found_by = found_by_counts(table)
        assert found_by["actor"].tolist() == expected["actor"].tolist()
        assert {c: found_by[c].tolist() for c in ("alias", "name", "pronoun")} == \
            {c: expected[c].tolist() for c in ("alias", "name", "pronoun")}


def test_unknown_names_merged_from_chunks_keep_the_corpus_first_example(monkeypatch):
    import newslens.actors as actors

    documents = pd.DataFrame({"doc_id": ["d1", "d2", "d3"],
                              "text": ["Talks stalled, said Boris Rotenberg on Monday.",
                                       "Boris Rotenberg flew to Geneva. Rotenberg met Geneva officials.",
                                       "Nothing new in Geneva."]})
    monkeypatch.setattr(actors, "_MATCH_CHUNK", 1)  # one document per chunk: the merge is what is tested
    table = unknown_names(documents, [], jobs=1)
    rows = {row.name: (row.count, row.documents, row.example) for row in table.itertuples()}
    assert rows["Geneva"][:2] == (3, 2)
    assert rows["Boris Rotenberg"][:2] == (2, 2)
    assert "Talks stalled" in rows["Boris Rotenberg"][2]  # its first occurrence is in d1
    assert list(table["name"][:2]) == ["Geneva", "Boris Rotenberg"]  # 3 occurrences before 2


def test_unknown_names_added_in_runs_keep_the_first_example_and_see_every_run_s_lower_case_words():
    from newslens.actors import _NameTally

    documents = pd.DataFrame({"doc_id": ["d1", "d2"],
                              "text": ["Negotiations stalled. Boris Rotenberg left.",
                                       "The negotiations resumed. Boris Rotenberg returned. Negotiations ended."]})
    tally = _NameTally([])
    tally.add(documents.iloc[:1])
    tally.add(documents.iloc[1:])
    rows = {row.name: (row.count, row.documents, row.example) for row in tally.table(1, documents).itertuples()}
    assert rows["Boris Rotenberg"] == (2, 2, "Negotiations stalled. Boris Rotenberg left.")
    # Opening a sentence in both runs, and in lower case in the second only: an ordinary word, not a name.
    assert "Negotiations" not in rows


def test_the_name_tally_keeps_no_text_per_name_but_the_name_itself_memory():
    from newslens.actors import _NameTally

    letters = "abcdefghijklmnopqrstuvwxyz"
    names = [f"Zorba{a}{b}" for a in letters for b in letters]  # 676 names of 7 characters, once each
    documents = pd.DataFrame({"doc_id": ["d1"], "text": [" ".join(f"and {name}," for name in names)]})
    tally = _NameTally([])
    tally.add(documents)
    # A name costs its 7 characters and an 8-byte offset (Arrow's large strings), and six 8-byte numbers: 63 bytes.
    # A snippet of its line, as kept before, was some 200 bytes more.
    assert len(tally.names) == 676
    assert tally.names.memory_usage(deep=True).sum() <= 676 * 63 + 1_000
    table = tally.table(1, documents)
    assert len(table) == 676 and table["example"].str.contains("and Zorbaaa,").iloc[0]
