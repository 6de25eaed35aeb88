"""Pure renderers that turn one :class:`~carbonllm.report.data.ReportData` into text: the paper
statement (Markdown, LaTeX) and the Hugging Face model-card metadata, with their number formatting.

Nothing here reads a file or prints; :mod:`carbonllm.report.data` builds the ReportData,
:mod:`carbonllm.report.inputs` finds and parses the inputs. Every renderer returns a string.

Conventions followed, each with its source:

* Hugging Face model-card metadata ``co2_eq_emissions`` (huggingface.co/docs/hub/model-cards-co2,
  2024): ``emissions`` in **grams** of CO2e, ``source``, ``training_type`` ("pre-training" or
  "fine-tuning"), ``geographical_location``, ``hardware_used``.
* The paper statement lists what Lacoste et al. 2019 ("Quantifying the Carbon Emissions of
  Machine Learning") and Luccioni et al. 2022 (BLOOM) ask to disclose: hardware, device-hours,
  energy, PUE, grid intensity with its source and year, the emissions, whether measured or
  estimated, and what is left out.
"""

from __future__ import annotations

import math

from carbonllm._version import __version__
from carbonllm.errors import InputError
from carbonllm.quantities import duration_text, energy_text, mass_text, sig
from carbonllm.report.data import TRAINING_TYPES, ReportData
from carbonllm.units import G_PER_KG


def plain_number(value: float, digits: int = 6) -> str:
    """``value`` to ``digits`` significant digits, never in exponent notation (YAML 1.1 reads
    ``1e+07`` as a string): 37786774.6 → ``37786800``, 0.01234567 → ``0.0123457``."""
    if value == 0 or not math.isfinite(value):
        return f"{value:g}"
    exponent = math.floor(math.log10(abs(value)))
    decimals = max(0, digits - 1 - exponent)
    return f"{round(value, digits - 1 - exponent):.{decimals}f}"


# --- what a report says -----------------------------------------------------------------------


def hardware_text(data: ReportData) -> str:
    """``64 × A100 SXM4 80GB`` or ``A100 SXM4 80GB`` or ``CPU only``."""
    if data.gpu_count == 0 or (data.kind != "estimate" and not data.gpu_name and not data.gpu_count):
        return "CPU only (no GPU seen)"
    name = data.gpu_name or "GPU"
    return f"{data.gpu_count} x {name}" if data.gpu_count else name


def location_text(data: ReportData) -> str:
    """Where the electricity came from, as precisely as the input says."""
    if data.region == "custom" or (data.region is None and data.intensity_g_per_kwh is not None):
        return "not given (a grid intensity was given directly)"
    if data.region_name and data.region and data.region_name != data.region:
        text = f"{data.region_name} ({data.region})"
    else:
        text = data.region_name or data.region or "unknown"
    if data.region_is_default:
        text += ", default: no region was given"
    return text


def exclusions(data: ReportData) -> list[str]:
    """What the figures leave out, for the statement."""
    left_out = []
    if data.embodied_co2e_kg is None:
        left_out.append("embodied (manufacturing) emissions of the hardware")
    if data.kind == "estimate":
        left_out.append("host CPUs and memory beyond the accelerators' power (only PUE adds overhead)")
    else:
        if data.pue is None or data.pue == 1:
            left_out.append("data-centre overhead (cooling, power conversion): PUE 1 was applied")
        if "gpu" not in data.energy_kwh_by_component and data.gpu_count:
            left_out.append("GPU energy (no GPU reading)")
    left_out += [
        "networking and storage",
        "failed, preliminary and tuning runs" if data.records <= 1 else "runs not included in this aggregate",
        "idle time of the allocation outside the measured window" if data.method == "measured"
        else "idle and queueing time of the allocation",
        "inference and deployment",
    ]
    return left_out


#: The length a short citation keeps to: the "how" cell of track's table, whose width it sets
#: (the table is then about 130 columns wide).
SHORT_SOURCE_CHARS = 60
#: Lower-case words a name may hold between the words its initials come from ("Ministry of
#: Ecology and Environment (MEE)").
_NAME_LINK_WORDS = frozenset({"of", "and", "the", "for", "on", "in", "de", "du"})


def short_source(source: str, limit: int = SHORT_SOURCE_CHARS) -> str:
    """A citation short enough for a table cell or a sentence (about ``limit`` characters): the
    publisher and dataset of the figure's own source, by rules of the citation, not of any one
    dataset. The whole source stays in ``--format json``/``csv``, ``--sources`` and the run file.

    1. The figure's own source: the direct value's (". Direct: …") is dropped.
    2. A figure borrowed from another grid zone cites that zone's source: the text after "source:"
       (AWS, Azure) or after "… places <region> (<place>):" (Google Cloud).
    3. A name with its initials in brackets is cited by them ("Ministry of Ecology and
       Environment (MEE)" → "MEE"); every other parenthetical is detail and goes.
    4. The vendoring path (" via …", ", as rendered in …") goes, and so does every sentence
       after the first, and a leading scope of bare codes ("SE1-SE4, NO1-NO5: ").
    5. Whole clauses (up to ", ", ": " or "; ") are kept from the start while they fit ``limit``.
       The first is always kept whole (a value is never cut from its unit) unless it is over
       twice ``limit``: then it is cut at a word, with "…".

    ``Ember, Yearly Electricity Data (…) via …csv: FRA, 2024. Direct: …`` → ``Ember, Yearly
    Electricity Data``; a US state's EIA × IPCC source → ``EIA Electric Power Annual 2023 /
    Electricity Data Browser``.
    """
    import re

    text = source.split(". Direct:")[0]
    text = re.split(r"\bsource:\s+|\bplaces\s[^:]*:\s+", text)[-1]
    text = _cite_by_initials(text)
    for _ in range(2):  # parentheticals nest once in the table's sources
        text = re.sub(r"\s*\([^()]*\)", "", text)
    text = re.split(r"\s+via\s+|,?\s+as rendered in\s+", text)[0]
    text = re.split(r"\.\s+(?=[A-Z])", text)[0]  # "No. 47" and "et al. 2022" stay whole
    text = re.sub(r"^[^a-z:]+:\s+", "", text).strip().rstrip(".;,: ")
    first, *rest = re.split(r"(?<=[,:;])\s+", text)
    if not first:  # all of it was detail (brackets): say it shortened rather than nothing
        first = source.strip()
    if len(first) > 2 * limit:  # no citation of ours is one clause this long: cut it at a word
        return first[:limit - 1].rsplit(" ", 1)[0].rstrip(",:; ") + "…"
    kept = first
    for clause in rest:
        if len(f"{kept} {clause}".rstrip(",:;")) > limit:
            break
        kept = f"{kept} {clause}"
    return kept.rstrip(",:; ")


def _cite_by_initials(text: str) -> str:
    """``Ministry of Ecology and Environment (MEE)`` → ``MEE``: a name followed by its own
    initials in brackets (linking words such as "of" and "and" skipped) is replaced by them;
    other brackets are left alone."""
    import re

    for found in reversed(list(re.finditer(r"\s*\(([A-Z]{2,})\)", text))):
        initials = list(found.group(1))
        words = list(re.finditer(r"\S+", text[:found.start()]))
        first = len(words)
        while initials and first > 0:
            word = words[first - 1].group()
            if word[0] == initials[-1]:
                initials.pop()
            elif word not in _NAME_LINK_WORDS:
                break
            first -= 1
        if not initials:
            text = text[:words[first].start()] + found.group(1) + text[found.end():]
    return text


def _intensity_sentence(data: ReportData) -> str:
    if data.intensity_g_per_kwh is None:
        return "unknown"
    source = short_source(data.intensity_source) if data.intensity_source else "source not recorded"
    if data.intensity_year and str(data.intensity_year) not in source:
        source += f", {data.intensity_year}"
    basis = f", {data.intensity_basis.replace('_', ' ')} basis" if data.intensity_basis else ""
    return f"{sig(data.intensity_g_per_kwh)} gCO2e/kWh{basis} ({location_text(data)}; {source})"


def market_sentence(data: ReportData) -> str:
    """The market-based figure, named as such, with its factor and source (GHG Protocol Scope 2
    dual reporting: the location-based figure stays the headline)."""
    assert data.market_co2e_kg is not None
    text = f"{mass_text(data.market_co2e_kg)} operational, market-based"
    if data.market_intensity_g_per_kwh is not None:
        text += f" at {sig(data.market_intensity_g_per_kwh)} gCO2e/kWh"
    if data.market_source:
        text += f" ({data.market_source})"
    return text + "; the location-based figure above is the headline (GHG Protocol Scope 2 dual reporting)"


def _range_text(data: ReportData) -> str:
    if data.co2e_kg_low is None or data.co2e_kg_high is None or data.co2e_kg_low == data.co2e_kg_high:
        return ""
    return f" (plausible range {mass_text(data.co2e_kg_low)} to {mass_text(data.co2e_kg_high)})"


def statement_facts(data: ReportData) -> list[tuple[str, str]]:
    """The statement as (label, text) pairs, shared by the Markdown and LaTeX renderers."""
    verb = "Measured" if data.method == "measured" else "Estimated"
    facts: list[tuple[str, str]] = [("Hardware", hardware_text(data))]
    if data.device_hours is not None and data.gpu_count != 0:
        facts.append(("Device-hours", f"{sig(data.device_hours)} GPU-hours"))
    if data.duration_s is not None:
        facts.append(("Wall-clock", duration_text(data.duration_s)))
    energy = energy_text(data.energy_kwh)
    if data.it_energy_kwh is not None and data.pue is not None:
        energy += f" (IT energy {energy_text(data.it_energy_kwh)} x PUE {data.pue:g})"
    components = {k: v for k, v in sorted(data.energy_kwh_by_component.items()) if v}
    if components and data.kind != "estimate":
        energy += "; IT energy by component: " + ", ".join(f"{k} {energy_text(v)}" for k, v in components.items())
    facts.append(("Energy", energy))
    facts.append(("Grid intensity", _intensity_sentence(data)))
    co2 = f"{mass_text(data.co2e_kg)} operational, location-based{_range_text(data)}"
    if data.embodied_co2e_kg is not None:
        co2 += f"; plus {mass_text(data.embodied_co2e_kg)} embodied"
    facts.append(("Emissions", co2))
    if data.market_co2e_kg is not None:
        facts.append(("Market-based emissions", market_sentence(data)))
    how = f"{verb} with {data.produced_by}"
    if data.kind == "codecarbon":
        how = f"Measured with {data.produced_by}"
    if data.measurement_methods:
        how += " (" + "; ".join(data.measurement_methods) + ")"
        modelled = [m.split(":")[0] for m in data.measurement_methods if "model" in m.split(":", 1)[-1]]
        if modelled:
            how += f"; {', '.join(modelled)} from a power model, not metered"
    how += f"; reported with carbonllm {__version__}"
    facts.append(("Method", how))
    if data.assumptions:
        facts.append(("Assumptions", "; ".join(data.assumptions) + " (sources: carbonllm report --format json)"))
    facts.append(("Excluded", "; ".join(exclusions(data))))
    if data.notes:
        facts.append(("Notes", "; ".join(data.notes)))
    return facts


def _verb(data: ReportData) -> str:
    """``measured``, ``estimated``, or ``measured, incomplete`` for a run whose tracker did not
    finish (killed, or still running): the headline says so, not only the notes."""
    if data.method != "measured":
        return "estimated"
    return "measured" if data.complete else "measured, incomplete: the tracker did not finish"


def render_markdown(data: ReportData) -> str:
    """A short statement for a paper or README, in Markdown."""
    verb = _verb(data)
    lead = (f"**Carbon footprint ({verb}).** Training emitted about {mass_text(data.co2e_kg)} "
            f"from {energy_text(data.energy_kwh)} of electricity{markdown_escape(_range_text(data))}.")
    lines = [lead, ""]
    lines += [f"- **{markdown_escape(label)}:** {markdown_escape(text)}" for label, text in statement_facts(data)]
    return "\n".join(lines) + "\n"


_LATEX_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
                  "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
                  # in text mode the OT1 font encoding prints <, > and | as ¡, ¿ and an em dash
                  "<": r"\textless{}", ">": r"\textgreater{}", "|": r"\textbar{}"}


def latex_escape(text: str) -> str:
    """Escape LaTeX's special characters (``\\ & % $ # _ { } ~ ^ < > |``), keep ``--`` as two
    hyphens, drop control characters, and write CO2e with a subscript."""
    text = "".join(ch if ch.isprintable() else " " for ch in text)
    escaped = "".join(_LATEX_SPECIAL.get(ch, ch) for ch in text)
    # two hyphens in a row would print as an en dash (--format), three as an em dash
    escaped = escaped.replace("--", "-{}-").replace("--", "-{}-")
    return escaped.replace("CO2e", r"CO\textsubscript{2}e")


_MARKDOWN_SPECIAL = set("\\`*_[]<>|~&")


def markdown_escape(text: str) -> str:
    """Escape what Markdown (CommonMark and GitHub's) would read as markup in interpolated text:
    emphasis, code, links, HTML and entities, tables, strikethrough (a backslash before ASCII
    punctuation is a literal in CommonMark); newlines and control characters become spaces, so a
    value never starts a new line, heading or list item."""
    text = "".join(ch if ch.isprintable() else " " for ch in text)
    return "".join("\\" + ch if ch in _MARKDOWN_SPECIAL else ch for ch in text)


def render_latex(data: ReportData) -> str:
    """The same statement as a LaTeX paragraph with an itemize list (no packages beyond the kernel)."""
    verb = latex_escape(_verb(data))
    lead = (f"Training emitted about {mass_text(data.co2e_kg)} from {energy_text(data.energy_kwh)} "
            f"of electricity{_range_text(data)}.")
    lines = [f"\\paragraph{{Carbon footprint ({verb}).}} {latex_escape(lead)}", r"\begin{itemize}"]
    lines += [f"  \\item \\textbf{{{latex_escape(label)}:}} {latex_escape(text)}"
              for label, text in statement_facts(data)]
    lines.append(r"\end{itemize}")
    return "\n".join(lines) + "\n"


def _yaml_string(text: str) -> str:
    """A YAML double-quoted scalar (JSON string syntax is valid YAML for printable text)."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + " ".join(escaped.split()) + '"'


def model_card_source(data: ReportData) -> str:
    """The ``source`` field: which tool, and whether measured or estimated."""
    if data.kind == "codecarbon":
        return f"{data.produced_by} ({data.method}; read from a codecarbon emissions.csv by carbonllm {__version__})"
    if data.method == "measured":
        if data.kind == "run" and not data.produced_by.startswith("carbonllm"):  # DCGM, SLURM
            return f"carbonllm {__version__} (measured by {data.produced_by.split(', read by')[0]})"
        return f"carbonllm {__version__} (measured with the carbonllm tracker)"
    basis = data.estimated_from or "FLOPs"
    return f"carbonllm {__version__} (estimated from {basis}, hardware power, PUE and grid intensity; not measured)"


def render_model_card(data: ReportData, training_type: str = "pre-training") -> str:
    """The ``co2_eq_emissions`` block of Hugging Face model-card metadata, emissions in grams.

    Paste it into the YAML front matter of the model's README.md (between the ``---`` lines).
    Only the operational, location-based emissions go into ``emissions``; a market-based figure
    (GHG Protocol Scope 2 dual reporting, as in Meta's Llama 3.1 card) goes beside it as
    ``market_based_emissions`` (grams), a key the convention does not define; embodied
    emissions, if any were estimated, are given in a comment, since the convention has no field
    for them.
    """
    if training_type not in TRAINING_TYPES:
        raise InputError(f"training type must be one of {', '.join(TRAINING_TYPES)}, not {training_type!r}")
    lines = [
        "co2_eq_emissions:",
        f"  emissions: {plain_number(data.co2e_g)}",
        f"  source: {_yaml_string(model_card_source(data))}",
        f"  training_type: {training_type}",
        f"  geographical_location: {_yaml_string(location_text(data))}",
        f"  hardware_used: {_yaml_string(hardware_text(data))}",
    ]
    if data.market_co2e_kg is not None:
        lines[1] += "  # location-based (GHG Protocol Scope 2)"
        lines.append(f"  market_based_emissions: {plain_number(data.market_co2e_kg * G_PER_KG)}"
                     f"  # grams, GHG Protocol Scope 2 market-based; not part of the HF convention")
    if data.embodied_co2e_kg is not None:
        lines.append(f"  # embodied (manufacturing) emissions, not included above: "
                     f"{plain_number(data.embodied_co2e_kg * G_PER_KG)} g")
    return "\n".join(lines) + "\n"
