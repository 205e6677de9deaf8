"""The dashboard's SVG charts, written out in Python (supervision/dashboard/charts.py): what a
supervisor reads off them — a labelled bar per engineer with its percentage, a dash for no
figure, the colour of the band, names escaped — and the trend's points."""

from xml.etree import ElementTree

from supervision.dashboard.charts import bar_chart, line_chart

SVG = "{http://www.w3.org/2000/svg}"


def parse(markup):
    return ElementTree.fromstring(str(markup))


def test_bar_chart_draws_one_labelled_bar_per_engineer_with_its_percentage():
    svg = parse(
        bar_chart("准时率", [("王芳", 96.5), ("张伟", None), ("李<b>娜", 81.0), ("赵六", 12)])
    )

    assert svg.get("aria-label") == "准时率"
    assert svg.find(f"{SVG}title").text == "准时率"
    groups = svg.findall(f"{SVG}g")
    labels = [g.find(f"{SVG}text[@class='chart-label']").text for g in groups]
    values = [g.find(f"{SVG}text[@class='chart-value']").text for g in groups]
    tones = [g.findall(f"{SVG}rect")[1].get("class") for g in groups]
    assert labels == ["王芳", "张伟", "李<b>娜", "赵六"]  # the name as text, never as markup
    assert values == ["97%", "—", "81%", "12%"]
    assert tones == ["chart-bar good", "chart-bar none", "chart-bar fair", "chart-bar poor"]
    # A bar's length is its share of the track: 96.5 % of 350 px.
    track, bar = groups[0].findall(f"{SVG}rect")
    assert float(bar.get("width")) == round(350 * 0.965, 1) and track.get("width") == "350"


def test_bar_chart_shortens_long_names_and_stays_valid_when_empty():
    svg = parse(bar_chart("Replies", [("Alexandra Longfellow", 100)]))
    label = svg.find(f"{SVG}g/{SVG}text").text
    assert label.startswith("Alexa") and len(label) <= 10  # the ellipsis is the language's own

    empty = parse(bar_chart("Replies", []))
    assert empty.findall(f"{SVG}g") == [] and empty.get("viewBox") == "0 0 520 32"


def test_line_chart_plots_each_week_of_each_series():
    svg = parse(
        line_chart(
            "趋势",
            {"准时": [90.5, 80.0, 100.0], "七个一": [50, 60, 70]},
            ["11-02", "11-09", "11-16"],
        )
    )

    lines = svg.findall(f"{SVG}polyline")
    assert [line.get("class") for line in lines] == ["chart-line s0", "chart-line s1"]
    assert lines[0].get("points") == "36.0,48.2 260.0,61.6 484.0,36.0"
    dots = [c.find(f"{SVG}title").text for c in svg.findall(f"{SVG}circle")]
    assert dots == [
        "准时 90.5%",
        "准时 80.0%",
        "准时 100.0%",
        "七个一 50%",
        "七个一 60%",
        "七个一 70%",
    ]
    ticks = [t.text for t in svg.findall(f"{SVG}text[@class='chart-label']")]
    assert ticks == ["11-02", "11-09", "11-16"]
