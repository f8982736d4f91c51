"""The medications a prescriber picks from: psychotropics and common companions, by generic name.

RxCUIs are RxNorm *ingredient* concepts. Each one shipped here was checked against
a published ingredient table (CPIC's drug list, which keys drugs by RxNorm
ingredient) or several independent sources agreeing. Where no code could be
verified, ``rxcui`` is blank rather than guessed (see docs/collaboration.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache


@dataclass(frozen=True)
class Drug:
    name: str  # generic name, lower case
    drug_class: str
    rxcui: str = ""


_LIST: tuple[Drug, ...] = (
    # SSRIs
    Drug("citalopram", "SSRI", "2556"),
    Drug("escitalopram", "SSRI", "321988"),
    Drug("fluoxetine", "SSRI", "4493"),
    Drug("fluvoxamine", "SSRI", "42355"),
    Drug("paroxetine", "SSRI", "32937"),
    Drug("sertraline", "SSRI", "36437"),
    # SNRIs and other antidepressants
    Drug("duloxetine", "SNRI", "72625"),
    Drug("venlafaxine", "SNRI", "39786"),
    Drug("desvenlafaxine", "SNRI"),
    Drug("bupropion", "Other antidepressant", "42347"),
    Drug("mirtazapine", "Other antidepressant", "15996"),
    Drug("trazodone", "Other antidepressant"),
    Drug("vortioxetine", "Other antidepressant", "1455099"),
    Drug("vilazodone", "Other antidepressant"),
    # Tricyclics
    Drug("amitriptyline", "Tricyclic antidepressant", "704"),
    Drug("clomipramine", "Tricyclic antidepressant", "2597"),
    Drug("doxepin", "Tricyclic antidepressant", "3638"),
    Drug("imipramine", "Tricyclic antidepressant", "5691"),
    Drug("nortriptyline", "Tricyclic antidepressant", "7531"),
    # Mood stabilisers
    Drug("lithium", "Mood stabiliser"),
    Drug("lamotrigine", "Mood stabiliser", "28439"),
    Drug("valproic acid", "Mood stabiliser", "11118"),
    Drug("divalproex sodium", "Mood stabiliser", "266856"),
    Drug("carbamazepine", "Mood stabiliser", "2002"),
    Drug("oxcarbazepine", "Mood stabiliser", "32624"),
    # Antipsychotics
    Drug("aripiprazole", "Antipsychotic", "89013"),
    Drug("brexpiprazole", "Antipsychotic", "1658314"),
    Drug("clozapine", "Antipsychotic", "2626"),
    Drug("haloperidol", "Antipsychotic", "5093"),
    Drug("lurasidone", "Antipsychotic"),
    Drug("olanzapine", "Antipsychotic", "61381"),
    Drug("quetiapine", "Antipsychotic"),
    Drug("risperidone", "Antipsychotic", "35636"),
    Drug("ziprasidone", "Antipsychotic"),
    # Anxiolytics and hypnotics
    Drug("alprazolam", "Benzodiazepine"),
    Drug("clonazepam", "Benzodiazepine"),
    Drug("diazepam", "Benzodiazepine", "3322"),
    Drug("lorazepam", "Benzodiazepine"),
    Drug("buspirone", "Anxiolytic"),
    Drug("hydroxyzine", "Anxiolytic"),
    Drug("zolpidem", "Hypnotic"),
    # ADHD
    Drug("atomoxetine", "ADHD (non-stimulant)", "38400"),
    Drug("guanfacine", "ADHD (non-stimulant)"),
    Drug("methylphenidate", "Stimulant", "6901"),
    Drug("amphetamine / dextroamphetamine", "Stimulant"),
    Drug("lisdexamfetamine", "Stimulant"),
    Drug("modafinil", "Wakefulness agent", "30125"),
    # Substance use
    Drug("naltrexone", "Substance use treatment", "7243"),
    Drug("buprenorphine", "Substance use treatment"),
    Drug("methadone", "Substance use treatment", "6813"),
    # Other psychiatric uses
    Drug("propranolol", "Beta blocker", "8787"),
    Drug("prazosin", "Alpha blocker"),
    Drug("clonidine", "Alpha agonist"),
    Drug("gabapentin", "Anticonvulsant", "25480"),
    # Common non-psychiatric medications the therapist should know about
    Drug("levothyroxine", "Thyroid hormone", "10582"),
    Drug("metformin", "Diabetes", "6809"),
    Drug("atorvastatin", "Statin", "83367"),
    Drug("metoprolol", "Beta blocker", "6918"),
    Drug("omeprazole", "Proton pump inhibitor", "7646"),
)

UNITS = ("mg", "mcg", "g", "mL", "mg/mL", "patch", "puff")


@cache
def by_name() -> dict[str, Drug]:
    """Return the shipped medications keyed by generic name."""
    return {d.name: d for d in _LIST}


def lookup(name: str) -> Drug | None:
    """Return the medication with this generic name (any case), or None."""
    return by_name().get(name.strip().lower())


def choices() -> list[tuple[str, str]]:
    """Return (value, label) pairs for a form, grouped by the order above."""
    return [(d.name, f"{d.name} ({d.drug_class})") for d in _LIST]


def search(query: str, limit: int = 20) -> list[Drug]:
    """Return shipped medications whose name, class or RxCUI matches every word of ``query``."""
    words = [w for w in query.lower().split() if w]
    if not words:
        return []
    hits = []
    for drug in _LIST:
        haystack = f"{drug.name} {drug.drug_class.lower()} {drug.rxcui}"
        if all(w in haystack for w in words):
            hits.append(drug)
            if len(hits) >= limit:
                break
    return hits
