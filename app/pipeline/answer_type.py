"""What a question asks for, and whether a sentence holds something of that kind.

"How many weeks…" wants a duration, "Which tool…" a product, "Who approves…" a person or
role. A quote or a generated sentence that holds nothing of the asked-for kind does not
answer, however many of the question's words it repeats; neither does a sentence that
only points elsewhere ("See the Travel page for details").

The classifier is rules over the question's wording (measured on the labelled questions of
eval/datasets/answer_types.jsonl by ``python -m eval answer-types``). The evidence for the
named kinds (product, person, place) is a name the NER and entity rules find in the sentence
(or a name's shape), and it must be new: "Which VPN app do we provide?" is not answered by
"use a VPN", which names nothing the question did not.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable
from functools import lru_cache

from core.text import NUMBER_WORDS, STOPWORDS, split_sentences


class AnswerType(enum.StrEnum):
    NUMBER = "number"
    MONEY = "money"
    DURATION = "duration"
    TIME = "time"  # a point in time, a deadline or a frequency
    PERSON = "person"  # a person, role or team
    PRODUCT = "product"  # a named tool, product or system
    PLACE = "place"
    CONTACT = "contact"  # an email address, URL, channel, or a form or code to use
    YESNO = "yesno"
    PROCEDURE = "procedure"
    OTHER = "other"


# (kind, the question's wording), most specific first: the first match wins
_ASKS: list[tuple[AnswerType, re.Pattern[str]]] = [
    (AnswerType.OTHER, re.compile(r"\b(?:stand for|mean|meaning of|defined as)\b", re.I)),
    (
        AnswerType.YESNO,
        re.compile(
            r"^\s*(?:and\s+)?(?:can|could|do|does|did|is|are|was|were|should|must|may|will|"
            r"would|am|have|has)\b",
            re.I,
        ),
    ),
    # "how long does the link stay valid?" asks for a duration, whatever it names
    (AnswerType.DURATION, re.compile(r"\bhow long\b", re.I)),
    (
        AnswerType.CONTACT,
        re.compile(
            r"\b(?:e-?mail(?: address)?|url|link|website|web ?page|slack channel|channel|"
            r"alias|phone number|form number|mailing list)\b|\b(?:what|which) (?:\w+ ){0,2}"
            r"(?:form|code|address|inbox)\b|\bwhere (?:do|should|can) i "
            r"(?:e-?mail|send|report|post|ask|submit|file)\b",
            re.I,
        ),
    ),
    (
        AnswerType.PLACE,
        re.compile(
            r"^\s*(?:and\s+)?where (?:is|are|was|were)\b|\bwhere (?:can|do|should|must) "
            r"(?:i|we|you) (?:pick up|find|go|park|get|collect|stay|sit|meet)\b|"
            r"\b(?:in |on )?(?:which|what) (?:conference room|room|floor|city|country|state|"
            r"office|building|location|address|venue)\b",
            re.I,
        ),
    ),
    (
        AnswerType.TIME,
        re.compile(
            r"^\s*(?:and\s+)?when\b|\bwhen (?:do|does|is|are|should|must|can|will|did)\b|"
            r"\b(?:what|which) (?:days?|dates?|time|months?|years?|weekdays?)\b|\bdeadline\b|"
            r"\bby when\b|\bhow often\b|\bhow frequently\b|"
            r"\bwhat (?:is the )?(?:schedule|cadence)\b",
            re.I,
        ),
    ),
    (
        AnswerType.DURATION,
        re.compile(
            r"\bhow long\b|\bhow (?:far|soon|quickly|early) (?:in advance|ahead|before|after|"
            r"do|must|should|can|does|is|are)?|"
            r"\bhow many (?:(?!(?:per|a|an|each|every)\b)\w+ ){0,3}"
            r"(?:minutes?|hours?|days?|weeks?|months?|years?|sprints?)\b|"
            r"\bfor how many\b|\bwithin how\b|"
            r"\b(?:how much|maximum|minimum|max|min|amount of|total)\b[^?]{0,40}?"
            r"(?<!-)\b(?:leave|time off|pto|vacation|notice|time)\b",  # not "part-time"
            re.I,
        ),
    ),
    (
        AnswerType.NUMBER,
        re.compile(
            r"\bwhat (?:percentage|percent|share|fraction|ratio)\b|"
            r"\b(?:what|which) (?:[\w-]+ ){0,3}(?:rating|score|grade|level)\b",
            re.I,
        ),
    ),
    (
        AnswerType.MONEY,
        re.compile(
            r"\bhow much (?:money|does|do|is|are|will|can|would|should|of (?:a|an|the|my) "
            r"(?:stipend|budget|allowance|reimbursement))\b|\b(?:stipends?|allowances?|budgets?|"
            r"costs?|prices?|fees?|salary|salaries|per diem|reimburse(?:ments?|d)?|amount|"
            r"spending limit|commissions?|bonus(?:es)?|wages?|\$)\b|"
            r"\b(?:monthly|annual|yearly) (?:\w+ )?benefit\b|"
            # "the yearly maximum the agency will pay": a limit on what is paid is an amount
            # (not a limit on a count: "the maximum number of hours paid")
            r"\b(?:maximum|minimum|max|min|limit|cap|ceiling)\b"
            r"(?:(?!\b(?:number|count|hours?|days?|weeks?|months?|years?)\b)[^?]){0,40}?"
            r"\b(?:pay|pays|paid|"
            r"reimburse\w*|spend|spent|contribute\w*|cover|covers|covered)\b",
            re.I,
        ),
    ),
    (
        AnswerType.NUMBER,
        re.compile(
            r"\bhow many\b|\bwhat number\b|\bhow much\b|\bwhat is the (?:maximum|minimum|"
            r"max|min|limit)\b|\bhow (?:big|large|old)\b",
            re.I,
        ),
    ),
    (
        AnswerType.PERSON,
        re.compile(
            r"^\s*(?:and\s+)?(?:who|whom)\b|\b(?:who|whom) (?:do|does|should|must|can|is|are|"
            r"approves|owns|handles|decides|signs|reviews|pays)\b|\bwhich (?:team|person|role|"
            r"group|manager|department|people)\b|\bwhat (?:team|role|group|department)\b",
            re.I,
        ),
    ),
    (
        AnswerType.PRODUCT,
        re.compile(
            r"\b(?:which|what) (?:\w+ ){0,2}(?:tool|tools|app|apps|application|software|"
            r"product|platform|system|service|program|editor|manager|browser|library|"
            r"framework|database|language|vendor|provider|site|portal|extension|plugin|"
            r"client|airline|carrier|brand|make|model|device|laptop|ide)\b|"
            r"\bwhat do (?:we|i|you) use\b|\bwhat (?:do|does) \w+ use\b",
            re.I,
        ),
    ),
    (
        AnswerType.PROCEDURE,
        re.compile(
            r"^\s*(?:and\s+)?how (?:do|can|should|would|does|to)\b|\bwhat (?:are the |is the )?"
            r"(?:steps?|process|procedure)\b|\bhow (?:do|can|should) (?:i|we|you)\b",
            re.I,
        ),
    ),
]


# the words that say what kind of answer is wanted ("how many", "stand for", "in advance")
# and light verbs ("get", "take"): the answer-type step checks the first, and neither is
# a topic the sources must repeat ("How much leave do I get?" is answered by "You earn 4
# hours of leave per pay period")
_ASK_WORDS = re.compile(
    r"\bhow (?:much|many|long|far|soon|quickly|early|often|frequently|big|large|old)\b|"
    r"\b(?:far )?in advance\b|\bstands? for\b|\bmean(?:s|ing)?(?: of)?\b|"
    r"\bwhat (?:percentage|percent|share|fraction) of\b|"
    r"\b(?:get|gets|getting|give|gives|given|giving|take|takes|taken|make|makes|become|"
    r"becomes|tell|told)\b",
    re.I,
)


# a sentence that asks: it starts with a question word or an auxiliary, or ends with "?"
_ASKS_AT_START = re.compile(
    r"^\W*(?:how|what|which|who|whom|whose|when|where|why|is|are|am|was|were|do|does|did"
    r"|can|could|should|would|will|may|might|must|shall|has|have|had)\b",
    re.I,
)
_REFERS_BACK = re.compile(r"\b(?:it|its|one|ones|this|that|these|those|they|them)\b", re.I)
# verbs that ask for an action without naming what it is about
_BARE_VERBS = frozenset({"do", "does", "did", "doing", "contact", "ask", "call", "go", "need"})


def _asking_part(question: str) -> str:
    """``question`` from its first asking sentence on: the statements before it ("I'm
    having surgery next month.") are a scenario the sources need not repeat. The whole
    question when nothing precedes the asking, or when the asking refers back into the
    scenario ("I'm training for a marathon. How many days of leave are there for one?")."""
    sentences = split_sentences(question)
    for i, sentence in enumerate(sentences):
        if sentence.endswith("?") or _ASKS_AT_START.match(sentence):
            asking = " ".join(sentences[i:])
            if not i or _REFERS_BACK.search(asking):
                return question
            # an asking part too bare to name a topic ("Who do I contact?") leaves it to
            # the scenario: the question stays whole
            words = _WORD.findall(_ASK_WORDS.sub(" ", asking).lower())
            named = [w for w in words if w not in STOPWORDS and w not in _BARE_VERBS]
            return asking if len(named) >= 2 else question
    return question


def topic_words(question: str) -> str:
    """What the sources must be about to answer ``question``: its asking part, without
    the answer-type wording and light verbs."""
    return _ASK_WORDS.sub(" ", _asking_part(question))


@lru_cache(maxsize=1024)  # asked once per candidate sentence
def classify(question: str) -> AnswerType:
    """The kind of thing a correct answer to ``question`` contains."""
    for kind, asks in _ASKS:
        if asks.search(question):
            return kind
    return AnswerType.OTHER


# the number words, and words that state a quantity without one
_NUMBER_WORDS = "|".join([*(w for w in NUMBER_WORDS if w != "zero"), "half", "once", "twice"])
_NUMBER_WORDS += "|a few|several|dozen"
# "unlimited" and "no limit" answer a how-many question without a number
_NO_LIMIT = r"unlimited|no (?:set |fixed |hard )?(?:limit|maximum|minimum|cap)|as (?:many|much) as"
_NUMBER = re.compile(rf"\d|\b(?:{_NUMBER_WORDS}|{_NO_LIMIT})\b", re.I)
_MONEY = re.compile(
    rf"[$€£]\s?\d|\b\d[\d,.]*\s?(?:k\b|dollars|usd|eur|gbp)|\b(?:{_NO_LIMIT}|free|"
    r"no cost|paid for|covers?|reimburs\w*)\b",
    re.I,
)
_UNIT = (
    r"(?:minutes?|mins?|hours?|hrs?|days?|business days?|weeks?|months?|years?|quarters?|"
    r"sprints?|semesters?)"
)
_DURATION = re.compile(
    rf"\b(?:\d+(?:\.\d+)?|{_NUMBER_WORDS}|a|an|one|the same|same|next)[\s-]+"
    rf"(?:\w+[\s-]+)?{_UNIT}\b|"
    rf"\b(?:{_NO_LIMIT}|immediately|right away|as soon as|asap|promptly|in advance|"
    r"same day|overnight|quarterly|annually|monthly|weekly|daily|yearly|biweekly)\b",
    re.I,
)
_TIME = re.compile(
    r"\b(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|weekday|weekend|"
    r"january|february|march|april|may|june|july|august|september|october|november|december|"
    r"daily|weekly|biweekly|monthly|quarterly|annually|yearly|every|each|before|after|"
    r"by|within|until|during|end of|beginning of|start of|first|last|morning|afternoon|"
    r"evening|noon|midnight|today|tomorrow|immediately|as soon as|asap|deadline|"
    r"day|week|month|year|quarter|[ap]\.?m\.?)\b|\d{1,2}[:/]\d{2}|\b\d{4}\b",
    re.I,
)
_CONTACT = re.compile(
    r"[\w.+-]+@[\w-]+\.[\w.-]+|https?://|www\.|\b[\w-]+\.(?:gov|com|org|io|net|dev)\b|"
    r"(?:^|\s)#[a-z0-9][\w-]+|(?:^|\s)@[a-z][\w-]+|\b(?:form|code|channel|inbox|alias|"
    r"ticket|portal|address)\b|\b[A-Z]{2,}[- ]?\d+\b",
    re.I,
)
_ROLE = re.compile(
    r"\b(?:team|teams|manager|managers|supervis\w*|lead|leads|director|officer|head|chief|"
    r"owner|owners|admin|administrator|hr|people ops|people team|approver|coordinator|"
    r"partner|specialist|staff|committee|council|board|department|office|desk|you|your|"
    r"yourself|employee|employees|teammates?|colleague|peers?|engineer|engineers|"
    r"executive|ceo|cto|cfo|vp|recruiter|hiring|payroll|finance|legal|security|"
    r"support|ops|operations|leadership|assistant|counsel|buddy|mentor)\b|(?:^|\s)@[a-z]",
    re.I,
)
_PLACE_WORD = re.compile(
    r"\b(?:office|building|room|floor|street|avenue|city|country|state|remote|remotely|"
    r"home|headquarters|hq|location|address|online|virtual|site|campus|desk)\b",
    re.I,
)
# a proper name past the first word: "… use KeePassXC", "… in Washington"; or a code-ish
# token ("cloud.gov", "git", "npm")
_NAME = re.compile(r"(?<!^)(?<![.!?:;]\s)\b[A-Z][\w.+-]*[a-zA-Z0-9]|\b\w+\.\w{2,4}\b|`[^`]+`")

# labels the catalogue gives names of each kind
_PRODUCT_LABELS = frozenset({"PRODUCT", "TOOL", "ORG", "WORK_OF_ART"})
_PERSON_LABELS = frozenset({"PERSON", "ORG", "TITLE"})
_PLACE_LABELS = frozenset({"GPE", "LOC", "FAC"})

# the names a text mentions, each with its entity label: ("KeePassXC", "PRODUCT")
EntityNames = Callable[[str], list[tuple[str, str]]]


def _no_names(text: str) -> list[tuple[str, str]]:
    return []


_NAME_WORD = re.compile(r"[a-z0-9]+")


def _new_words(found: str, asked: set[str]) -> bool:
    """Whether ``found`` has a word the question did not use: evidence of the asked-for
    kind must name something, not repeat the question ("a VPN" for "which VPN app")."""
    return any(w not in asked for w in _NAME_WORD.findall(found.lower()))


_ASKED_UNIT = re.compile(
    r"\bhow many (?:\w+ ){0,2}?(minute|hour|day|business day|week|month|year|percent)s?\b|"
    r"\bin (minute|hour|day|week|month|year)s\b",
    re.I,
)


def asked_unit(question: str) -> str:
    """The unit a how-many question counts in ("how many weeks of leave" -> "week"), or ""."""
    m = _ASKED_UNIT.search(question)
    return (m.group(1) or m.group(2)).lower() if m else ""


def states_unit(sentence: str, unit: str) -> bool:
    """Whether ``sentence`` gives an amount in ``unit`` ("12 weeks", "twelve-week")."""
    return bool(
        re.search(
            rf"(?:\d|\b(?:{_NUMBER_WORDS}|a|an))[\s-]*(?:\+\s*)?(?:[\w-]+\s+)?{unit}s?\b",
            sentence,
            re.I,
        )
    )


# what a sentence must repeat as written to speak of the question's case: a figure ("15",
# "$2,500", "12-month", "30 percent"; not a name's digits: "18F", "401k", "v2"), or a prefix
# or suffix named as such ("the wg- prefix", "channels ending in -public")
_LITERAL = re.compile(r"(?<![\w.])\d[\d,]*(?:\.\d+)?(?![\w])|(?<![\w-])(?:\w+-|-\w+)(?![\w-])")


def literals(text: str) -> frozenset[str]:
    """The figures and affixes ``text`` states, as one writes them: lower case, without
    thousands separators ("2,500" is "2500")."""
    return frozenset(
        m.group(0).replace(",", "").rstrip(".").lower() for m in _LITERAL.finditer(text)
    )


# the contact a question names, which a sentence must then give: "what is X's phone
# number" is not answered by an email address, nor "which channel" by a phone number
# (an explicit kind first: "the hotline's email address" asks for an email)
_ASKED_CONTACT: list[tuple[str, re.Pattern[str]]] = [
    ("email", re.compile(r"\be-?mail(?: address)?\b", re.I)),
    ("phone", re.compile(r"\b(?:phone|telephone|fax)(?: number)?\b|\bnumber to call\b", re.I)),
    ("channel", re.compile(r"\b(?:slack )?channel\b", re.I)),
    ("phone", re.compile(r"\bhotline\b", re.I)),
]
_STATES_CONTACT = {
    "phone": re.compile(
        r"\(?\b\d{3}\)?[\s.-]\d{3}[\s.-]\d{4}\b|\+\d[\d\s().-]{7,}\d|\b\d{3}-\d{4}\b|"
        r"\b1-\d{3}-[A-Z0-9-]{4,}\b"  # "1-800-ETHICS"
    ),
    "email": re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+"),
    "channel": re.compile(r"(?:^|[\s(])#[a-z0-9][\w-]+", re.I),
}


@lru_cache(maxsize=1024)
def asked_contact(question: str) -> str:
    """The kind of contact a question asks for ("phone", "email", "channel"), or ""."""
    return next((kind for kind, asks in _ASKED_CONTACT if asks.search(question)), "")


def states_contact(sentence: str, contact: str) -> bool:
    """Whether ``sentence`` gives a contact of that kind (any sentence, for "")."""
    return not contact or bool(_STATES_CONTACT[contact].search(sentence))


# "What is the Wi-Fi password at HQ?" asks about a password; "What hotel star rating may
# I book?" about a rating. The focus is the head of the noun phrase after "what"/"which":
# the words up to a preposition, a verb or the end, the last of them.
_FOCUS = re.compile(
    r"^\s*(?:and\s+)?(?:what|which)\s+(?!(?:do|does|did|can|could|should|must|will|would|"
    r"may|might|has|have|had|happens?|happened|counts?|qualifies)\b)"
    r"(?:(?:is|are|was|were)\s+)?(?:(?:the|a|an|my|our|your)\s+)?"
    r"(?:[\w-]+'s?\s+)?((?:[\w-]+\s+){0,4}?[\w-]+)(?=\s+(?:at|for|of|on|in|to|with|from|about|"
    r"during|after|before|per|by|do|does|did|is|are|was|were|may|can|could|should|must|will|"
    r"would|has|have|that|which|when|if)\b|\s*[?.!]?\s*$)",
    re.I,
)
# heads that name the kind of answer (checked by the answer type) or are generic ("policy"):
# not a focus a sentence must state
_GENERIC_HEADS = frozenset(
    """
    amount amounts number numbers percentage percent share fraction ratio total maximum
    minimum max min limit limits cost costs price prices fee fees rate rates stipend stipends
    allowance allowances budget budgets salary salaries reimbursement reimbursements bonus
    bonuses wage wages commission commissions tool tools app apps software product products
    platform platforms system systems service services
    address addresses email emails url link links website websites form forms name names
    date dates day days time times deadline kind kinds type types way ways step steps
    process procedure procedures policy policies rule rules guideline guidelines
    requirement requirements thing things option options difference differences
    team teams person people group groups department departments role roles office offices
    brand brands model models make makes sort sorts version versions code codes
    it this that they he she you i we
    """.split()
)


# heads naming a kind of product, whose modifier says which ("VPN app", "chat tool")
_KIND_HEADS = frozenset(
    "tool tools app apps application software product products platform platforms system "
    "systems service services".split()
)
_DETERMINERS = frozenset({"the", "a", "an", "my", "our", "your", "their", "its", "this", "that"})


def question_focus(question: str) -> str:
    """The thing a what/which question asks about ("password", "rating"), or "" when there
    is none to check (another kind of question, or a generic head such as "amount")."""
    m = _FOCUS.search(question)
    if not m:
        return ""
    words = m.group(1).lower().split()
    # a determiner inside means the phrase ran over a verb ("team owns the handbook"): the
    # focus is the word before it
    inner = [i for i, w in enumerate(words) if w in _DETERMINERS and i > 0]
    head = words[0] if inner else words[-1]
    if head in _KIND_HEADS and not inner and len(words) > 1:
        # "which VPN app": any app is the asked-for kind; the VPN is what it is about
        head = words[-2]
    if head in _GENERIC_HEADS or head in STOPWORDS or not head.isalpha():
        return ""
    return head


_DEFINE = re.compile(r"\b(?:stand for|stands for|mean|means|short for|abbreviation)\b", re.I)
# the abbreviation asked about: "What does EAP stand for", "what does the wg- prefix mean"
_ASKED_ABBREVIATION = re.compile(
    r"\b(?i:what (?:does|do|is|are) (?:the |an? )?)[\"'`]?([A-Z][A-Za-z&]*[A-Z]|[a-z]{1,5}-)"
    r"(?=[\"'`]?[\s?])"
)
_FILLER = frozenset({"of", "and", "the", "for", "to", "a", "an", "in", "on", "at", "&"})


def asked_abbreviation(question: str) -> str:
    """The abbreviation a "what does X stand for / mean" question asks to spell out
    ("EAP", "wg"), or ""."""
    if not _DEFINE.search(question):
        return ""
    m = _ASKED_ABBREVIATION.search(question)
    return m.group(1).rstrip("-") if m else ""


def spells_out(sentence: str, abbreviation: str) -> bool:
    """Whether ``sentence`` gives ``abbreviation``'s long form: "Employee Assistance Program
    (EAP)", "LWOP (leave without pay)", "EAP: Employee…", or the abbreviation beside words
    whose initials spell it ("Working groups … have a wg- prefix")."""
    a = re.escape(abbreviation)
    flags = 0 if abbreviation.isupper() else re.I
    if re.search(
        rf"\(\s*{a}s?\s*\)|\b{a}s?\s*\(\s*[A-Za-z]|\b{a}s?\s*(?::|–|—|=|\s-\s|stands? for|"
        rf"means|is short for)\s*[A-Za-z]",
        sentence,
        flags,
    ):
        return True
    if not re.search(rf"(?<![\w-]){a}(?![\w])", sentence, flags):
        return False
    words = [w for w in re.findall(r"[A-Za-z]+", sentence) if w.lower() not in _FILLER]
    letters = abbreviation.lower()
    initials = "".join(w[0].lower() for w in words)
    start = initials.find(letters)
    # the long form: as many words as letters, not the abbreviation itself
    return start >= 0 and all(
        len(w) > 2 and w.lower() != letters for w in words[start : start + len(letters)]
    )


class AnswerTyper:
    """Classifies questions and checks sentences for the asked-for kind of thing."""

    def __init__(self, names: EntityNames = _no_names) -> None:
        self.names = names

    classify = staticmethod(classify)

    def answers(self, question: str, sentence: str) -> bool:
        """Whether ``sentence`` holds what ``question`` asks for: its kind, and for a
        contact the kind of contact it names (a phone number, an email, a channel)."""
        kind = classify(question)
        if kind is AnswerType.CONTACT and not states_contact(sentence, asked_contact(question)):
            return False
        return self.holds(kind, sentence, question)

    def holds(self, kind: AnswerType, sentence: str, question: str = "") -> bool:
        """Whether ``sentence`` holds something of ``kind``. Kinds that any statement can
        answer (yes/no, procedure, other) hold always. A name, role or place counts only
        when it has a word ``question`` lacks."""
        match kind:
            case AnswerType.NUMBER:
                return bool(_NUMBER.search(sentence))
            case AnswerType.MONEY:
                return bool(_MONEY.search(sentence))
            case AnswerType.DURATION:
                return bool(_DURATION.search(sentence))
            case AnswerType.TIME:
                return bool(_TIME.search(sentence) or _NUMBER.search(sentence))
            case AnswerType.CONTACT:
                return bool(_CONTACT.search(sentence))
            case AnswerType.PERSON:
                return self._names(sentence, question, _PERSON_LABELS, _ROLE)
            case AnswerType.PRODUCT:
                return self._names(sentence, question, _PRODUCT_LABELS, _NAME)
            case AnswerType.PLACE:
                return self._names(sentence, question, _PLACE_LABELS, _PLACE_WORD, _NAME)
        return True

    def _names(
        self, sentence: str, question: str, labels: frozenset[str], *shapes: re.Pattern[str]
    ) -> bool:
        """Whether ``sentence`` names something of one of ``labels`` or ``shapes`` that
        ``question`` does not ("Wi-Fi" in a question is "WiFi" in a sentence).

        The NER reads a capitalised first word as a name ("Teammates also hop on a video
        chat" is an ORG to it, "Avoid public WiFi" another): of its names, only the words a
        writer capitalised mid-clause, or that hold a digit, count."""
        lower = question.lower()
        asked = set(_NAME_WORD.findall(lower)) | set(_NAME_WORD.findall(lower.replace("-", "")))
        for shape in shapes:
            if any(_new_words(m.group(0), asked) for m in shape.finditer(sentence)):
                return True
        initial = {m.group(1) for m in _CLAUSE_INITIAL.finditer(sentence)}
        return any(
            label in labels
            and any(
                w not in initial and _new_words(w, asked)
                for w in text.split()
                if w[:1].isupper() or any(c.isdigit() for c in w)
            )
            for text, label in self.names(sentence)
        )


# the first word of a sentence or clause, capitalised by its place
_CLAUSE_INITIAL = re.compile(r"(?:^|[.!?:;]\s+)\W*(\w+)")


# A pointer: "See X for details", "Refer to the Y page", "More information is on Z",
# "For more, visit W", "OPM page about Z". Such a sentence answers nothing itself.
_DOC_NOUN = (
    r"(?:page|pages|guide|doc|docs|documentation|handbook|section|article|link|wiki|website|"
    r"site|faq|post|blog|readme|chapter|resource|resources)"
)
_POINTER = re.compile(
    r"^\W*(?:please\s+)?(?:see|refer to|visit|go to|head (?:over )?to|consult|click|"
    r"learn more|find (?:out )?more)\b|"
    rf"^\W*(?:please\s+)?(?:read|review|view|browse|check(?: out)?|look at)\b.{{0,60}}\b"
    rf"{_DOC_NOUN}\b|"
    r"\b(?:for|to (?:learn|find out|get)|with) (?:more|further|additional|all the|the latest|"
    r"full|complete)? ?(?:information|info|details|guidance|instructions|help)\b|"
    r"\bmore (?:information|info|details|guidance) (?:is|are|can be|on|about|in|at)\b|"
    rf"^\W*(?:the\s+)?[\w&.'-]+(?:\s[\w&.'-]+){{0,4}}\s{_DOC_NOUN}\s"
    r"(?:about|on|for|describing|explains?)\b",
    re.I,
)
_FACT = re.compile(r"\d|[$€£%]")
_WORD = re.compile(r"[a-z0-9]+")


def is_navigational(sentence: str, max_content_words: int = 10) -> bool:
    """Whether ``sentence`` only points elsewhere: a pointer phrase, no figure, and little
    else ("See the Leave page for more information" vs "See the portal: the limit is $50").
    """
    if not _POINTER.search(sentence) or _FACT.search(sentence):
        return False
    rest = _POINTER.sub(" ", sentence.lower())
    content = [w for w in _WORD.findall(rest) if w not in STOPWORDS and len(w) > 2]
    return len(content) <= max_content_words
