"""Prompt injection: text that talks to a language model instead of to people.

The same detector reads questions (direct injection) and document text (indirect
injection). ``quarantine`` removes the sentences it flags from a source before any model,
quote or citation sees it; the ingest marks chunks that hold such text as ``suspicious``.
Patterns are phrasings aimed at a model, in English and a few other languages; ordinary
handbook prose ("respond with a thumbs-up", "AI assistants must not be used with
confidential data") must not match, and `tests/ingest/test_safety_scan.py` holds both kinds.
"""

from __future__ import annotations

import re
import unicodedata

from core.text import INVISIBLE

_PREVIOUS = r"(?:previous|prior|above|earlier|preceding|foregoing|original|initial)"
_RULES = r"(?:instructions?|prompts?|rules|directions|directives|guidelines|context)"
_MODEL = r"(?:ai|a\.i\.|assistants?|chat ?bots?|language models?|llms?|gpt|bots?)"
_PATTERNS = [
    # override the instructions
    rf"ignore (?:all |any )?(?:of )?(?:the |your |my |these )?{_PREVIOUS} {_RULES}",
    rf"(?:disregard|forget|override|bypass|overrule) (?:all |any |everything )?(?:of )?"
    rf"(?:the |my )?(?:{_PREVIOUS}|system|safety) {_RULES}",
    rf"(?:disregard|forget|override|bypass|overrule) (?:all (?:of )?)?your {_RULES}",
    r"(?:disregard|forget) (?:all|everything) (?:above|before|you were told|you know)",
    r"\b(?:new|updated|real|actual|hidden) (?:instructions|system prompt|rules)\s*[:\-]",
    r"(?:your|this|my|the) (?:system|initial|hidden|original) prompt\b(?!s)(?! to )",
    r"system prompt\s*[:=]",
    r"(?:reveal|print|show|repeat|output|leak) (?:me )?(?:your|the) (?:system |initial |hidden )?"
    r"(?:prompt|instructions)",
    rf"ignore (?:all |any )?(?:of )?(?:the |your |these )?(?:{_RULES}|above|everything "
    r"(?:above|before))",
    r"disregard what you (?:were|have been) told",
    # change who the model is
    r"you are (?:now|no longer) (?:dan\b|an? (?:unrestricted|unfiltered|uncensored|different|"
    r"new|evil|rogue|jailbroken) |(?:an? )?(?:ai|assistant|chatbot|bot|language model)\b|"
    r"in (?:developer|god|unrestricted|jailbreak|dan) mode|free (?:of|from)|bound by)",
    r"from now on,? (?:you|always|never|respond|answer|reply|only)",
    r"pretend (?:that )?you (?:have|had) no (?:rules|restrictions|guidelines|limits)",
    r"act as (?:an? )?(?:unrestricted|unfiltered|jailbroken|evil|rogue) ",
    r"act as if you (?:have no|are not|were not|had no)",
    r"(?:you are|you're|now|enable|enter) (?:in )?(?:god|dan|jailbreak|unrestricted) mode",
    r"(?:you are|you're) (?:now )?in developer mode",
    r"\bjailbreak",
    r"\bdo anything now\b",
    # speak to the model directly
    rf"(?:note|message|instructions?|attention|reminder) (?:to|for) (?:the |any |all )?{_MODEL}\b",
    rf"\bif you are an? {_MODEL}\b",
    rf"\b{_MODEL}(?: agents?)? reading this\b",
    rf"\bif you(?: are|'re) an? {_MODEL}\b",
    rf"\bto (?:any|every|all) {_MODEL}\b",
    r"(?:note|message|instructions?) (?:to|for) the (?:model|summari[sz]er|agent|assistant)\b",
    r"(?:do not|don't|never) (?:reveal|show|disclose) (?:this|it|that) to the user",
    r"(?:respond|reply|answer|speak|write) only in\b|only (?:respond|reply|answer) in\b",
    r"\bhuman\s*:.{0,200}?\bassistant\s*:",
    r"as an ai (?:language )?model",
    r"(?:do not|don't|never) (?:tell|inform|mention (?:this )?to) the user",
    # dictate the output
    r"(?:respond|reply|answer|output)(?:ing)? (?:only|solely|exclusively) (?:with|in|using)",
    r"(?:begin|start|end|sign|prefix|suffix|finish|conclude) (?:your|every|each|all) "
    r"(?:answers?|responses?|replies|outputs?)",
    r"(?:append|add|include|insert|attach|embed) (?:this|the following|these|that) "
    r"(?:url|link|image|text|string|code|word|phrase|markdown)[^.\n]{0,80}?"
    r"(?:to|in|into|at the end of) (?:your|the|every|each) (?:answers?|responses?|replies|"
    r"outputs?|summary)",
    r"(?:in|to|at the end of) (?:your|every|each) (?:answers?|replies|outputs?)\b",
    r"(?:say|print|output|repeat|reply with|respond with) the (?:word|phrase|string|code)\b",
    r"when (?:answering|summari[sz]ing|responding)(?: to)?(?: questions about)? this "
    r"(?:page|document|content|text|file)",
    # chat-template and role markers
    r"<[ \t\n]{0,8}/?[ \t\n]{0,8}(?:system|assistant|instructions?|im_start|im_end)\s*>",
    r"<\|[a-z_]+\|>",
    r"\[/?inst\]",
    r"(?<!#)#{2,}+\s*+(?:instruction|system|response)\s*:",
    r"\b(?:system|assistant)\s*:\s*(?:you|ignore|respond|reply|always|never|from now)",
    # markdown that makes a browser send data to a URL (exfiltration through an image)
    r"!\[[^\[\]\n]{0,200}\]\(\s*(?:https?:)?//[^\s()]{0,500}[?{]",
    # other languages: "ignore / forget the previous instructions"
    r"ignore[zr]? (?:toutes? )?(?:les |vos )?(?:instructions|consignes) "
    r"(?:pr[ée]c[ée]dentes|ant[ée]rieures)",
    r"oublie[zr]? (?:toutes? )?(?:les |vos |tes )?(?:instructions|consignes)",
    r"ignora(?:r|d)? (?:todas )?(?:las |tus )?instrucciones(?: anteriores| previas)?",
    r"olvida(?:r)? (?:todas )?(?:las |tus )?instrucciones",
    r"ignorier(?:e|en)? (?:alle )?(?:vorherigen|bisherigen|obigen|vorigen) "
    r"(?:anweisungen|instruktionen|befehle)",
    r"vergiss (?:alle )?(?:deine |die |alle )?(?:anweisungen|instruktionen)",
    r"ignor[ae] (?:todas |tutte )?(?:as |le )?(?:instruções|istruzioni) "
    r"(?:anteriores|precedenti)",
    r"игнорируй(?:те)? (?:все )?(?:предыдущие )?инструкции",
    r"忽略(?:之前|以上|前面|先前|上述)?(?:的)?(?:所有)?(?:指令|指示|说明|提示)",
    r"(?:以前|前|上記)の(?:指示|命令)を(?:すべて)?無視",
]
_INJECTION = re.compile("|".join(f"(?:{p})" for p in _PATTERNS), re.IGNORECASE)

# a sentence ends at . ! ? before a space (not inside a URL or "e.g."), at their CJK
# forms, or at a line break; each character can match one branch only, so this is linear
_SENTENCE = re.compile(r"(?:[^\n.!?。！？]|[.!?](?=\S))*(?:[.!?]+(?=\s|$)|[。！？]+|\n|$)")


def _comparable(text: str) -> str:
    """What the patterns read: compatibility forms folded (full-width letters), invisible
    characters dropped, runs of spaces made one."""
    text = INVISIBLE.sub("", unicodedata.normalize("NFKC", text))
    return re.sub(r"\s+", " ", text)  # a phrase broken across lines still reads as one


def injection_markers(text: str) -> list[str]:
    """The phrases in ``text`` that read like instructions to a language model."""
    return [m.group(0) for m in _INJECTION.finditer(_comparable(text))]


def looks_like_instructions(text: str) -> bool:
    return _INJECTION.search(_comparable(text)) is not None


# a span between chat-template markers is an instruction as a whole, however it is phrased
_PAIRED = re.compile(
    r"\[inst\][\s\S]{0,2000}?\[/inst\]"
    r"|<\s*(system|assistant|instructions?)\s*>[\s\S]{0,2000}?<\s*/\s*\1\s*>"
    r"|<\|im_start\|>[\s\S]{0,2000}?(?:<\|im_end\|>|$)",
    re.IGNORECASE,
)
# an instruction goes on in the sentences after it that give orders to the reader
_ORDER = re.compile(
    r"\s*(?:then |and |also |now )?(?:output|print|say|write|reply|respond|answer|append|add|"
    r"include|tell|start|begin|end|sign|repeat|reveal|send|visit|insert|translate|return)\b",
    re.IGNORECASE,
)


def quarantine(text: str) -> tuple[str, int]:
    """``text`` without the sentences that address a language model, and how many were
    removed. Text with none comes back unchanged (not even re-spaced)."""
    if not looks_like_instructions(text):
        return text, 0
    text, removed = _PAIRED.subn(" ", text)
    kept: list[str] = []
    after_instruction = False
    for match in _SENTENCE.finditer(text):
        sentence = match.group(0)
        if not sentence.strip():
            after_instruction = after_instruction and sentence != "\n"
            kept.append(sentence)
        elif looks_like_instructions(sentence) or (
            after_instruction and _ORDER.match(_comparable(sentence))
        ):
            removed += 1
            after_instruction = not sentence.endswith("\n")
            kept.append("\n" if sentence.endswith("\n") else " ")
        else:
            after_instruction = False
            kept.append(sentence)
    if removed == 0:  # the phrase spans a sentence break: drop the whole text
        return "", 1
    return re.sub(r"[ \t]{2,}", " ", "".join(kept)).strip(), removed
