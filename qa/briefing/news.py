"""What is news: lines a briefing never states, opinion pieces, and the signals of hard news.

Hand-set from editorial conventions (wire style guides, how news sites file their sections), not
fitted to any day: the briefing eval (``evals/briefings``) is the check, written apart from these.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from qa.models import ArticleMeta

# The dashes of datelines and labels: em, en, the horizontal bar and the minus sign, which some
# outlets print ("WASHINGTON −"), and the hyphen.
DASHES = "—–―−-"
# A correction's label, dated or not: "Correction:", "Correction, April 28, 2025:", "Correction/clarification:".
_CORRECTION = r"(correction|clarification)(\s*/\s*clarification)?(\s*,\s*[A-Z][a-z]+\.?\s+\d{1,2}(,\s*\d{4})?)?"

# Page furniture and housekeeping that reads like a sentence: editor's and update notes,
# syndication lines, machine summaries, sign-up and "read more" prompts, credits.
_HOUSEKEEPING = re.compile(
    (
        r"""
    ^\W*(editor['’]?s?\s*note|updated?\b LABEL_END |"""
        + _CORRECTION
        + r""" LABEL_END
        |live\s+updates? LABEL_END |breaking(\s+news)? LABEL_END |watch LABEL_END |related LABEL_END
        |(read\s+)?more\s*:|see\s+also\s*:)
    | \b(a|an)\s+(previous|earlier)\s+version\s+of\s+this\s+(story|article|report)\b
    | \b(this|the)\s+(story|article|page|post|report|piece)\s+(has\s+been|had\s+been|was|is\s+being|will\s+be)\s+
        (updated?|update|originally\s+published|corrected|produced|republished|edited)
    | \b(originally|first)\s+(published|appeared)\s+(in|on|by|at)\b
    | \bAI[-\s]assisted\b | \b(summary|article)\s+(was|is)\s+(generated|produced|written)\s+(by|with|using)\b
    | \bsign\s+up\s+((here|now|today)\s+)?(for|to)\b | \bsubscribe\s+(to|for)\b | \bclick\s+here\b
    | \b(subscribe|sign\s+up)\s+(here|now|today)\b
    | \byour\s+one-stop\s+shop\b  # a newsletter introducing itself
    # A video's blurb: "USA TODAY economics reporter Paul Davidson breaks down the potential impact."
    | ^\W*([A-Z][\w.’',-]*\s+){0,8}(correspondent|reporter|editor|anchor|host|professor|columnist|analyst)\b
        [^.]{0,80}\b(talks\s+(us\s+)?(through|about)|breaks\s+down)\b
    | \b(recommendations|products)\s+(are|were)\s+independently\s+(chosen|selected)\b  # a shopping disclaimer
    | \b(we|usa\s+today)\s+(may|might)\s+(earn|receive|get)\s+.{0,40}\bcommission\b
    | ^\W*head\s+(over\s+)?to\s+(our|tonight['’]s|today['’]s|the\s+latest)\b  # "Head over to tonight's coverage"
    | ,\s+here\s+(are|is)\s+(the\s+latest\s+)?(updates|information|what\s+(we|you)\s+(know|need))\b
    | \bfor\s+(the\s+)?latest\s+(updates|news|information|coverage)\b
    | \b(read|see|watch|follow)\s+(more\s+of\s+)?(our|usa\s+today['’]s|cnn['’]s|the)\s+
        (live|full|earlier|previous|ongoing|continuing|complete|latest)?\s*(coverage|updates|live\s+blog)\b
    | \bcontributing\s*:|\bcontributed\s+to\s+this\s+report\b
    | \b(photo|image|video)s?\s+(by|credit|courtesy)\b
    # A photo's caption: who stands where ("(second from left)"), who "is pictured"/"is shown"/"is
    # seen in" a place.
    | \(((second|third|fourth|far|top|bottom)\s+)?(from\s+)?(left|right|center|centre)(\s+to\s+(left|right))?\)
    | \b(is|are)\s+(pictured|shown)\b(?!\s+(that|to|how)\b)
    | \b(is|are)\s+seen\s+(in|on|at|during|outside|inside|here)\b
    | \b(reach|email|contact)\s+(him|her|them|the\s+reporter)\s+at\b | \bfollow\s+(him|her|them|us)\s+on\b
    | \bthis\s+page\s+reflects\b | \ba\s+version\s+of\s+this\s+(story|article)\s+(appears|appeared|ran)\b
    | \bkeep\s+up\s+with\b | \bfollow\b.{0,40}\b(coverage|updates|results)\b
    | \bin\s+your\s+inbox\b
    | ^\W*play\s+the\s+.{0,40}\b(crossword|puzzle|sudoku|wordle)\b  # 516 USA TODAY pages end so
    | \btake\s+.{0,20}\bnews\s+quiz\b
    | \bhow\s+relevant\s+is\s+this\s+ad\b | \bvideo\s+(player\s+was\s+slow\s+to\s+load|content\s+never\s+loaded)\b
    | \bad\s+(froze|never\s+loaded)\b | \baudio\s+on\s+ad\b  # an ad-feedback form scraped with the page
    | ^[^\w"“‘']*good\s+(morning|afternoon|evening)\b | ^[^\w"“‘']*(hi|hello)\s+(there|everyone|readers)\b
    | ^[^\w"“‘']*(?-i:I['’]m\s+[A-Z][\w'’-]+(\s+[A-Z][\w'’-]+)*)\s*,  # a writer introducing themself (not a quote)
    | ^[^\w"“‘']*([^,"“]{0,60},\s+)?here(['’]s|\s+is|\s+are)\s  # a signpost to what follows: "Here's what to know"
    | \bfollow\s+along\b | \bcatch\s+up\s+here\b | \bwe['’]re\s+live\b | \b(kept|keep)\s+you\s+updated\b
    | \b(providing|provide|bring(ing|s)?\s+you)\s+(updates|the\s+latest)\b | \bupdate\s+page\b
    | \bepisode\s+of\s+[^.]{0,40}\bpodcast\b | ^\W*updated?\s+[\d/.,\s]+ LABEL_END  # "UPDATE 5/20/2020 :"
    # A status at filing time that a later report may have overtaken ("had not commented as of noon"):
    # stale by the time a reader sees it, and never what happened.
    | \b(did|does|do|has|have|had)\s+not\s+(yet\s+)?(immediately\s+)?(respond|return|repl(y|ied)|comment(ed)?)\b
    | \b(has|have|had)\s+yet\s+to\s+(respond|comment|release|issue|return|make)\b | \bdeclined\s+to\s+comment\b
    | \bcould\s+not\s+(immediately\s+)?be\s+reached\b | \brequests?\s+for\s+comment\b
    | :\s*$
    """
    ).replace("LABEL_END", rf"\s*[:{DASHES}]"),  # a label's colon or dash ("Update —")
    re.I | re.X,
)
_QUESTION = re.compile(r"\?[\"'”’)\]]*$")
# Not how news copy states a fact: an exclamation (outside a quote), an aside in parentheses
# ("(See: Jay-Z clapping back …)").
_NOT_STATED = re.compile(r"!\s*$|^\s*\(.*\)\W*$", re.S)
# A quoted exclamation or question with only its speaker after it ("“Wouldn't that be beautiful?”
# Trump said."): colour from a speech, not a fact of the story.
_EXCLAIMED = re.compile(r"^\W*[\"“][^\"“”]*[!?][\"”](\s+[^\s\"“”]+){1,8}$")  # up to 8 words after it
_I = re.compile(r"\bI(?:['’](?:m|ve|d|ll))?\s+[a-z]")
_MY = re.compile(r"\bmy\b|^\W*My\s+[a-z]")
_QUOTED = re.compile(r"[\"“][^\"“”]*[\"”]")


def first_person(line: str) -> bool:
    """A writer telling their own story outside quotes ("I was ready to collapse into bed.", "my
    husband and I"): "my", or "I" before a lower-case word where it opens the sentence or follows
    a lower-case word or a comma; after a capital it is a numeral ("World War I ended")."""
    told = _QUOTED.sub("", line)
    if _MY.search(told):
        return True
    for m in _I.finditer(told):
        before = told[: m.start()].rstrip()
        if not before or before[-1] in ",;:—–" or before.split()[-1].islower():
            return True
    return False


# A statement starts and ends as one. A line that does not is a heading, a link's promo ("How
# Trump won the White House (again): These key issues propelled election win"), or a sentence
# cut short at either end ("are in play, and races down the ballot will decide…"; a teaser's
# trailing ellipsis: "the Snack Wrap soon …").
_COMPLETE = re.compile(r"(?<![.…])[.!][\"'”’)\]]*$")
_CUT_START = re.compile(r"^[^\w]*[a-z]")
_MARKERS = re.compile(r"(\s*\[\d+\])+\s*$")  # an engine's citation markers after the full stop


def newsworthy(sentence: str, year: int | None = None) -> bool:
    """False for a line a reader of a briefing should never be told as a fact of the story:
    housekeeping and signposts ("Here's what to know"), rhetorical questions (a summary states;
    it does not ask), exclamations and asides (a quoted one with only its speaker too), a writer's
    first-person story, a quote nobody is said to have said, lines that are not whole sentences,
    and (given the article's ``year``) background framed in an earlier year."""
    line = _MARKERS.sub("", sentence).strip()
    whole = bool(_COMPLETE.search(line)) and not _CUT_START.match(line) and _quotes_closed(line)
    stated = not (_NOT_STATED.search(line) or _EXCLAIMED.match(line) or first_person(line) or unattributed_quote(line))
    dated = year is None or not background(line, year)
    return whole and stated and dated and not _HOUSEKEEPING.search(line) and not _QUESTION.search(line)


# Who said it: a quote in a briefing names its speaker ("…," he said; according to; told).
_SPEAKER = re.compile(
    r"\b(said|says|say|saying|told|tells|according|wrote|writes|added|adds|asked|asks|posted|tweeted|stated|"
    r"declared|argued|argues|noted|notes|explained|recalled|insisted|warned|warns|announced|testified|reads?)\b",
    re.I,
)
QUOTED_MOSTLY = 0.5


def unattributed_quote(line: str) -> bool:
    """Mostly a quote, with no word outside it saying who said it: shown as narration, it would
    put someone's words in the briefing's mouth."""
    quoted = sum(len(m) for m in _QUOTED.findall(line))
    return quoted >= QUOTED_MOSTLY * len(line) and not _SPEAKER.search(_QUOTED.sub(" ", line))


# Background framed as such: a sentence that opens in an earlier year ("In 2011, a tsunami …",
# "The 2004 quake …") and names no day of this week, inside today's story.
YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)\b")
_OPENING_WORDS = 6


def background(line: str, year: int) -> bool:
    opening = " ".join(_QUOTED.sub(" ", line).split()[:_OPENING_WORDS])
    years = [int(y) for y in YEAR.findall(opening)]
    return bool(years) and all(y < year for y in years) and not WHEN.search(line)


# A lead that looks ahead ("…will culminate today", "is expected to") or reports a reaction
# ("X slammed the decision") tells what happened only where nothing better does. Only its main
# clause counts: the words up to its first comma, where a lead puts its verb ("…, saying it will no
# longer allow" is news).
_SCHEDULED = r"(is|are)\s+(set|expected|scheduled|poised|slated|due)\s+to|plans?\s+to|ahead\s+of"
_PREVIEW = re.compile(
    rf"\b((?-i:will|won['’]t|could|may|might)|{_SCHEDULED}|gear(s|ing)?\s+up|prepar(es?|ing)\s+(to|for))\b", re.I
)
# A preview proper: "could", "may" and "might" speculate ("Wednesday was perhaps the last day
# Zelensky could have addressed Congress") rather than announce.
_AHEAD = re.compile(rf"\b((?-i:will)|{_SCHEDULED})\b", re.I)
_REACTION = re.compile(
    r"\b(react(ed|s|ing)|respond(ed|s|ing)|slamm?(ed|s|ing)|blast(ed|s|ing)|prais(ed|es|ing)|criticiz(ed|es|ing)|"
    r"condemn(ed|s|ing)|denounc(ed|es|ing)|welcom(ed|es|ing)|applaud(ed|s|ing)|lash(ed|es|ing)\s+out|hail(ed|s|ing)|"
    r"decr(ied|ies)|celebrat(ed|es|ing)|mourn(ed|s|ing)|pa(id|ys)\s+tribute)\b",
    re.I,
)
MAIN_CLAUSE_WORDS = 16


def _main_clause(sentence: str) -> str:
    """Its words outside quotes and after a dateline, up to the first comma."""
    told = _QUOTED.sub(" ", sentence)
    if m := DATELINE.match(told):
        told = told[m.end() :]
    return " ".join(told.split(",")[0].split()[:MAIN_CLAUSE_WORDS])


def looks_ahead_or_reacts(sentence: str) -> bool:
    """A preview or a reaction, outside quotes (see :data:`_PREVIEW`, :data:`_REACTION`)."""
    main = _main_clause(sentence)
    return bool(_PREVIEW.search(main) or _REACTION.search(main))


# A verb in the past: "-ed" (not "need", "speed", "hundred"…) or a common irregular past.
_PAST = re.compile(
    r"\b((?!(?:need|speed|feed|seed|breed|proceed|exceed|succeed|indeed|embed|shred|hundred)\b)[a-z]{2,}ed|"
    r"said|bid|went|won|lost|took|gave|made|met|held|began|came|got|told|left|fell|rose|hit|shot|struck|sent|"
    r"spent|led|paid|sold|brought|found|became|ran|saw|broke|chose|drove|flew|wrote|spoke|stood|killed|swore|"
    r"sworn|signed|died)\b"
)


def reports_done(lead: str) -> bool:
    """Whether a lead's main clause tells something that happened ("bid goodbye … Wednesday
    night", "went into effect Tuesday"), not a preview, a reaction or a fact of the calendar
    ("Monday, Jan. 20, is MLK Day")."""
    return not looks_ahead_or_reacts(lead) and bool(_PAST.search(_main_clause(lead)))


_PERFECT = re.compile(r"\b(has|have|had|'s|’s|been)\s+(\w+ly\s+)?$", re.I)


def tells_outcome(lead: str) -> bool:
    """A lead that reports a thing done in the simple past ("The Eagles demolished the Chiefs"):
    not "has talked about" (the state of things, background), nor a preview or reaction."""
    if looks_ahead_or_reacts(lead):
        return False
    main = _main_clause(lead)
    return any(not _PERFECT.search(main[: m.start()]) for m in _PAST.finditer(main))


def stale_preview(sentence: str, lead: str) -> bool:
    """A preview of the event that ``lead`` reports as done: written before it, for the same day
    ("Biden will give his farewell address Wednesday" under "Biden bid goodbye … Wednesday night").
    A preview of another day ("A formal Mass … will take place on May 18") is news still."""
    day = WHEN.search(lead)
    if day is None or not reports_done(lead) or not _AHEAD.search(_main_clause(sentence)):
        return False
    return day.group().lower() in {m.group().lower() for m in WHEN.finditer(sentence)}


_DOUBLE_QUOTES = ('"', "“", "”")


def _quotes_closed(line: str) -> bool:
    """False for an odd number of double quotes: the sentence is part of a quote that runs on from
    the one before ('It's okay, I like it," Meester said.') or into the next. Straight and curly
    quotes count alike, since pages mix them ("vote remotely”)."""
    return sum(line.count(q) for q in _DOUBLE_QUOTES) % 2 == 0


# -- round-ups -----------------------------------------------------------------------------------

# A newsletter that tells the day's stories in turn ("5 things to know for Nov. 30: …", "…: Daily
# Briefing") is no story of its own: each of its stories is told by its own articles.
_ROUNDUP_TITLE = re.compile(
    r"\b(\d+|five|ten)\s+things\s+to\s+know\s+(for|today|this)\b|\bstart\s+your\s+(week|day)\s+smart\b"
    r"|\bdaily\s+briefing\b|\bmorning\s+(briefing|newsletter)\b|\bnews\s+(roundup|round-up)\b"
    r"|\bthe\s+excerpt\b",  # USA TODAY's daily news podcast, a round-up whatever its episode title
    re.I,
)
ROUNDUP_TOPICS = 5  # a title listing this many topics of a few words each is a round-up
_TOPIC_WORDS = 3


def is_roundup(meta: ArticleMeta) -> bool:
    """A digest of several stories, by its title: named as one, or a list of bare topics
    ("Starliner, space, NASA, Trump, deportations, weather, tornado ...")."""
    title = meta.title.strip()
    if _ROUNDUP_TITLE.search(title):
        return True
    topics = [t.strip(" .…") for t in re.split(r"[,;]", title)]
    return len(topics) >= ROUNDUP_TOPICS and all(0 < len(t.split()) <= _TOPIC_WORDS for t in topics)


# -- sections ------------------------------------------------------------------------------------


def words(text: str) -> frozenset[str]:
    return frozenset(text.split())


OPINION_SECTIONS = words(
    "opinion opinions column columns columnist columnists commentary editorial editorials perspectives analysis "
    "voices letters"
)
HARD_SECTIONS = words(
    "news politics world nation us national courts justice health elections congress military crime weather "
    "climate economy investigations world-news uk-news science-health education immigration "
    "europe asia americas africa middleeast australia uk china india"  # CNN's world desks, by region
)
# The business desk (markets, trade, companies, labour): news, but below the national and world
# desks, as an outlet's money pages also carry personal-finance service pieces.
BUSINESS_SECTIONS = words("money business investing markets tech technology media energy")
# Not "gallery" or "graphics": they name a format, and the desk beside them ("/world/gallery/")
# says what the story is.
SOFT_SECTIONS = words(
    "entertainment sports sport life lifestyle travel food dining style celebrities music movies tv shopping "
    "reviewed games wellness puzzles horoscopes things-to-do nfl nba mlb nhl olympics college "
    "soccer football golf tennis high-school cars 50-states home-garden food-and-drink arts books culture"
)
# A national outlet's local and state desks (USA Today files its network papers' stories under
# /news/local/ and /news/state/): hard news, but of local reach, so below the national desks.
LOCAL_SECTIONS = words("local state metro")
_OPINION_TITLE = re.compile(r"^\s*(opinion|analysis|commentary|editorial|column)\s*[:|\-–—]|\|\s*opinion\b", re.I)


def url_sections(url: str | None) -> list[str]:
    """The known section names in a URL's path (``/story/news/politics/2025/…`` → news, politics)."""
    if not url:
        return []
    try:
        path = urlsplit(url).path
    except ValueError:
        return []
    known = OPINION_SECTIONS | HARD_SECTIONS | SOFT_SECTIONS | LOCAL_SECTIONS | BUSINESS_SECTIONS
    return [p for p in path.lower().split("/") if p in known]


def is_opinion(meta: ArticleMeta) -> bool:
    """An opinion or analysis piece, by its URL section or its title's label."""
    return any(s in OPINION_SECTIONS for s in url_sections(meta.url)) or bool(_OPINION_TITLE.search(meta.title))


def section_kind(meta: ArticleMeta) -> tuple[str, str]:
    """``(kind, sections)``: kind is opinion, soft, local, hard, business or unknown; sections as the
    URL names them."""
    found = url_sections(meta.url)
    shown = "/".join(found)
    if is_opinion(meta):
        return "opinion", shown or "opinion label"
    if any(s in SOFT_SECTIONS for s in found):
        return "soft", shown
    if any(s in LOCAL_SECTIONS for s in found):
        return "local", shown
    if any(s in HARD_SECTIONS for s in found):
        return "hard", shown
    if any(s in BUSINESS_SECTIONS for s in found):
        return "business", shown
    return "unknown", shown


# -- hard-news signals in a lead ------------------------------------------------------------------

# Casualties, disaster (a disease outbreak too), and war and its diplomacy (a ceasefire is as much
# news as a strike). Fakes "flooding online stores" are no flood.
CASUALTIES = re.compile(
    r"\b(killed|killing|dead|died|dies|death|death\s+toll|deaths|fatal(ly|ities)?|injur(ed|ies)|wounded|"
    r"crash(ed|es)?|collided|collision|shooting|gunman|explosion|earthquake|hurricane|tornado(es)?|wildfires?|"
    r"flood(s|ing)(?!\s+(online|the\s+(market|internet|zone)|social|inbox(es)?|stores|shelves))|"
    r"war|bomb(ing|ed|s)?|airstrikes?|missiles?|drones?|invasion|invade[sd]?|victims|survivors|"
    r"rescuers?|evacuat\w+|(?<!heart\s)(?<!phishing\s)(?<!smishing\s)attack(s|ed)?|hostages?|outbreaks?|epidemic|"
    r"pandemic|cease-?fires?|truce|peace\s+(talks|deal|plan|agreement)"
    r"|sanctions|power\s+(outages?|cuts?)|without\s+(power|electricity)(?!\s+to\b))\b",
    re.I,
)
# An election decided: a race conceded or won. Not a company that "conceded it had misled", and
# not the background of a later story ("Trump, who won the election in November, signed…",
# "since Trump won the election"): see :func:`election_decided`.
ELECTION_DECIDED = re.compile(
    r"\b(conced(e|es|ed|ing)\s+((the|her|his|their)\s+)?(\d{4}\s+)?(race|election|presidency|primary|defeat)"
    r"|concession\s+speech|(won|wins)\s+(the\s+)?(\d{4}\s+)?(presidential\s+)?(election|presidency|re-?election))\b",
    re.I,
)
_BACKGROUND = re.compile(r"\b(who|since|after|when|before|until|because|that)\b[^,.;]*$", re.I)


def election_decided(text: str) -> str | None:
    """The words telling an election was decided, unless told as background in a clause of its
    own ("…, who won the election in November, …")."""
    for m in ELECTION_DECIDED.finditer(text):
        if not _BACKGROUND.search(text[max(0, m.start() - 60) : m.start()]):
            return m.group(0).strip()
    return None


# The economy moving: markets, prices, trade and labour (a market's worst day, tariffs taking
# effect, a port strike), from titles and first sentences.
ECONOMY = re.compile(
    r"\b(stocks?|stock\s+market|markets?\s+(fell|fall|plunge\w*|tumble\w*|rall\w+|sell-?off|crash\w*)|dow|s&p\s+500|"
    r"nasdaq|inflation|recession|tariffs?|trade\s+war|layoffs?|lay(s|ing)?\s+off|laid\s+off|job\s+cuts|strikes?|"
    r"jobs\s+report|unemployment|"
    r"interest\s+rates?|federal\s+reserve|the\s+fed|bankrupt\w*|supply\s+chain)\b",
    re.I,
)
OFFICIALS = re.compile(
    r"\b(president|governor|senat(e|ors?)|congress|lawmakers|legislat(ure|ors)|court|judge|justice\s+department|"
    r"department\s+of|secretary|minister|parliament|police|officials|administration|white\s+house|pentagon|"
    r"prosecutors?|fbi|united\s+nations|nato|kremlin|military|army)\b",
    re.I,
)
# "WASHINGTON —", "KYIV, Ukraine (AP) —": a reporter filed from the scene.
DATELINE = re.compile(rf"^[A-Z][A-Z.'’ -]{{2,}}(,\s+[A-Z][\w.’' ]+)*(\s+\([A-Za-z ]+\))?\s*[{DASHES}]{{1,2}}\s")
NUMBERS = re.compile(r"\d")
# Service and feature pieces: a reader wants them, but not before the news.
SOFT_TITLE = re.compile(
    r"\b(predictions?|review|recipes?|deals|quiz|horoscopes?|ranked|rankings|things\s+to\s+do|where\s+to\s+watch|"
    r"how\s+to\s+watch|tickets|best\s+\w+\s+(of|for|to)|gift\s+guide|trivia|fun\s+facts|things\s+to\s+know|"
    r"news\s+from\s+around|most\s+famous|to\s+(stream|binge))\b",
    re.I,
)
# A question: ends with "?", or opens with a question word and does not end as a statement
# ("What Gatorade color has been dumped the most in Super Bowl ..."). "Will Smith…" is not one.
QUESTION_TITLE = re.compile(r"\?[\"'”’]*\s*$|^\s*(what|how(?!\s+to\b)|why|who|when|where|which)\b(?!.*[.!]\s*$)", re.I)


# Who or what acts: a name, a number, an attribution, an institution. A lead with none of them
# sets a scene ("It's every parent's nightmare…") and tells no news.
_ATTRIBUTION = re.compile(
    r"\b(said|says|say|according\s+to|announced|reported|told|confirmed|found|showed|researchers|scientists|"
    r"study|survey|poll|report|company|officials?)\b",
    re.I,
)
_NUMBER_WORD = re.compile(
    r"\b(one|two|three|four|five|six|seven|eight|nine|ten|dozens?|hundreds?|thousands?|millions?|billions?)\b", re.I
)


_RELATIVE_DAYS = {"today", "tonight", "yesterday", "overnight"}


def sets_a_scene(sentence: str, names: frozenset[str]) -> bool:
    """A sentence with no actor: no name (``names``, as :func:`qa.briefing.clustering.names_of`
    finds them), no number, no attribution or institution; nor a named day it happens on
    ("Federal and state offices … will be closed Monday"; "Yesterday, a piece of breaking news…"
    still sets one)."""
    named_day = any(m.group().lower() not in _RELATIVE_DAYS for m in WHEN.finditer(sentence))
    return not (
        names
        or named_day
        or NUMBERS.search(sentence)
        or _NUMBER_WORD.search(sentence)
        or _ATTRIBUTION.search(sentence)
        or OFFICIALS.search(sentence)
    )


# A hook rather than a lead, at an article's top: a line too short to tell an event ("Welcome to
# Confirmapalooza.", "America and Greenland share a continent.") or one that talks to the reader
# ("Unless you're buying…, you'd better be prepared to move along.").
HOOK_WORDS = 7
# "You" as the one acting; "your" alone may be a study's advice ("Walk your baby for five minutes").
_TO_THE_READER = re.compile(r"\byou(['’](re|d|ll|ve))?\b", re.I)


def hooks_the_reader(sentence: str) -> bool:
    """A hook (see :data:`HOOK_WORDS`, :data:`_TO_THE_READER`), outside quotes and after a dateline."""
    told = _QUOTED.sub(" ", sentence)
    if m := DATELINE.match(told):
        told = told[m.end() :]
    if len(told.split()) < HOOK_WORDS and not NUMBERS.search(told):
        return True
    # "Changing what you eat could add 13 years to your life, according to a study" reports.
    return bool(_TO_THE_READER.search(told)) and not _ATTRIBUTION.search(told)


# When it happened: the day a news lead names ("on Tuesday", "late Wednesday", "on Jan. 9"). A
# sentence with a day reports an event; background ("this year", "for decades") names none.
WHEN = re.compile(
    r"\b(monday|tuesday|wednesday|thursday|friday|saturday|sunday|(?<!usa\s)today|tonight|yesterday|overnight"
    r"|(jan(uary)?|feb(ruary)?|mar(ch)?|apr(il)?|may|june?|july?|aug(ust)?|sept?(ember)?|oct(ober)?|nov(ember)?"
    r"|dec(ember)?)\.?\s+\d{1,2}(st|nd|rd|th)?)\b",
    re.I,
)


def reports_event(sentence: str) -> int:
    """How plainly a lead reports an event: a dateline (filed from the scene) and a day named."""
    return bool(DATELINE.match(sentence)) + bool(WHEN.search(sentence))


def first_match(pattern: re.Pattern[str], text: str) -> str | None:
    m = pattern.search(text)
    return m.group(0).strip() if m else None
