"""The article of a saved web page (newslens.webpage): hand-written pages."""
from newslens.webpage import Page, page_text


def test_the_article_element_only_without_menus_scripts_and_asides():
    page = page_text(
        "<html><head><title>Ferry stops - Harbour Post</title>"
        '<script type="application/ld+json">{"@type": "NewsArticle", "datePublished": "2025-12-04T18:00:00Z",'
        ' "publisher": {"@type": "Organization", "name": "Harbour Post"}}</script>'
        '<script>document.write("<p>not the article</p>")</script></head>'
        "<body><nav><ul><li>Home</li><li>City</li></ul></nav><p>Subscribe now</p>"
        "<article><p>The old ferry made its last crossing.</p><aside><p>Also read: bridge</p></aside>"
        "<p>Its crew <em>waved</em>.</p></article><footer><p>Terms</p></footer></body></html>")
    # no <h1>: the page's <title> is the headline
    assert page == Page(title="Ferry stops - Harbour Post",
                        text="Ferry stops - Harbour Post\n\nThe old ferry made its last crossing.\n\nIts crew waved.",
                        published="2025-12-04T18:00:00Z", outlet="Harbour Post")


def test_main_when_there_is_no_article_and_the_body_when_there_is_neither():
    assert page_text("<body><div>Menu</div><main><p>One.</p></main></body>").text == "One."
    assert page_text("<body><div>First.</div><div>Second.</div></body>").text == "First.\n\nSecond."


def test_the_date_from_itemprop_and_an_unclosed_element_inside_a_skipped_one():
    page = page_text('<body><time itemprop="datePublished" datetime="2025-12-03">3 Dec</time>'
                     "<header><p>Logo<div>Menu</header><p>The mayor spoke.</p></body>")
    assert (page.text, page.published) == ("3 Dec\n\nThe mayor spoke.", "2025-12-03")


def test_a_page_of_menus_only_has_no_text():
    assert page_text("<html><body><nav><p>Home</p></nav><footer><p>Terms</p></footer></body></html>").text == ""


def test_the_longest_article_is_the_story_not_the_teasers_around_it():
    page = page_text("<body><article><p>Teaser: ferry stops.</p></article>"
                     "<article><p>The mayor opened the new bridge on Wednesday.</p><p>Crowds cheered.</p></article>"
                     "<article><p>Teaser: rates rise.</p></article></body>")
    assert page.text == "The mayor opened the new bridge on Wednesday.\n\nCrowds cheered."
