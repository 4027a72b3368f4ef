"""End-of-lesson quizzes (issue 13 §6): a few multiple-choice questions per lesson, checked in the notebook.

Every lesson's ``## Quiz`` section calls ``quiz("NN")`` (an ipywidgets form: one ``RadioButtons`` per question,
a "Check" button, feedback under each question; a plain-text version of the same questions in its mimebundle for
viewers without widgets) and ``check_quiz("NN", answers)`` for answers typed as ``{1: "b", 2: "a", ...}``.
The questions are data in this module (no file is read); each option carries the reason it is right or wrong,
and the feedback shows that reason. The answers follow what the lessons compute and state (their Summary
sections and the papers they reproduce: Wang & Isola 2020, Liang et al. 2022, Schrodi et al. 2025).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Any, Mapping

from modgap_edu.exercises import ExerciseCheckFailed, strict


@dataclass(frozen=True)
class Option:
    key: str
    text: str
    correct: bool
    why: str


@dataclass(frozen=True)
class Question:
    text: str
    options: tuple[Option, ...]

    @property
    def answer(self) -> str:
        return next(o.key for o in self.options if o.correct)

    def option(self, key: str) -> Option:
        return next(o for o in self.options if o.key == key)


def _q(text: str, *options: tuple[str, bool, str]) -> Question:
    """A question from its options (text, correct, why); keys a, b, c, ... after a fixed rotation of the list.

    The rotation (by the CRC-32 of the question text, so the same on every run) moves the right option away
    from the place it was written in, so the right answers are not always the same letter."""
    shift = zlib.crc32(text.encode()) % len(options)
    rotated = options[shift:] + options[:shift]
    return Question(text, tuple(Option("abcdef"[i], t, c, w) for i, (t, c, w) in enumerate(rotated)))


QUIZZES: dict[str, tuple[Question, ...]] = {
    "01": (
        _q(
            "At CLIP's temperature τ = 0.01, which negatives dominate the denominator of the CLIP loss?",
            ("All negatives of the batch, equally.", False, "That is the τ → ∞ limit: exp(s/τ) is then flat."),
            (
                "The closest impostors: the few negatives with the highest similarity.",
                True,
                "Dividing by a small τ turns similarity differences into huge weight ratios (Section 2's plot).",
            ),
            ("Only the matched pair.", False, "The matched pair is the numerator; the denominator sums negatives too."),
            ("The farthest negatives.", False, "Far negatives get weight exp(low/τ), the smallest of all."),
        ),
        _q(
            "What does training with Wang & Isola's alignment loss alone do to the embeddings?",
            ("Spreads them uniformly over the sphere.", False, "Spreading is what the uniformity term rewards."),
            (
                "Collapses them to (nearly) one point.",
                True,
                "A single point puts every matched pair at distance 0: a perfect minimum of alignment (Section 4).",
            ),
            ("Nothing: alignment is already minimal at the start.", False, "Random pairs start far apart."),
            ("It separates images from texts.", False, "Alignment pulls matched image and text together."),
        ),
        _q(
            "And uniformity alone?",
            (
                "The points spread out, but matched pairs are not brought together.",
                True,
                "Uniformity ignores which text belongs to which image: alone, it spreads and mismatches.",
            ),
            ("It collapses everything to a point.", False, "A point is the worst case for uniformity."),
            ("It aligns matched pairs.", False, "Uniformity's formula never uses the pairing."),
            ("It is the same as the CLIP loss.", False, "CLIP's loss behaves like alignment plus uniformity."),
        ),
        _q(
            "Which description of the CLIP loss is right?",
            ("A mean squared error between matched embeddings.", False, "That would be an alignment-only loss."),
            (
                "Two cross-entropies (image→text, text→image) over the similarity matrix divided by τ, averaged.",
                True,
                "Each row (and column) is an N-way classification whose answer is the diagonal (Section 1).",
            ),
            ("One softmax over all N² similarities at once.", False, "Rows and columns are normalised separately."),
            ("A hinge loss with margin τ.", False, "τ divides the similarities; there is no margin."),
        ),
        _q(
            "Trained to convergence, what happens to the gap in the 3-D sphere toy (Section 6)?",
            (
                "It closes at every temperature.",
                True,
                "In 3-D the points crowd and the gap closes at every τ; at τ = 0.01 it stays largely open only in 8+ dimensions.",
            ),
            ("It survives at τ = 0.01 and closes at τ = 1.", False, "Not in 3-D: there it closes at τ = 0.01 too."),
            ("It grows at every temperature.", False, "The printed gap falls over training in 3-D."),
            ("It does not depend on the dimension.", False, "Section 6's grid shows that the dimension matters."),
        ),
    ),
    "02": (
        _q(
            "What does L2M (Liang et al.'s modality gap) measure?",
            (
                "The distance between the centroids of the normalised image and text embeddings.",
                True,
                "Gap vector = mean image embedding − mean text embedding; L2M is its norm (Section 1).",
            ),
            ("The mean distance of matched pairs.", False, "That is L2I (lesson 05), not L2M."),
            ("The angle between the first principal components.", False, "PCA is only used to draw the gap."),
            ("The loss of the trained model.", False, "L2M is a geometric quantity of the embeddings only."),
        ),
        _q(
            "What makes a random deep network map its inputs into a narrow cone (Fig. 2b)?",
            ("Only the input data: similar inputs give similar outputs.", False, "Noise inputs make cones too."),
            (
                "Nonlinearity plus depth: each nonlinear layer pulls the embeddings closer together.",
                True,
                "Section 4: the mean cosine grows with depth for nonlinear layers (Theorem 1 for one ReLU layer).",
            ),
            ("Training with the contrastive loss.", False, "The cone is there at initialisation, before training."),
            ("The L2 normalisation at the end.", False, "Normalising does not change angles between embeddings."),
        ),
        _q(
            "Two random initialisations of the same architecture embed the same data. What do you see (Fig. 2c)?",
            ("The same cone, since the data are the same.", False, "Each init has its own cone."),
            (
                "Two different cones: most of the embedding variance comes from the initialisation, not the data.",
                True,
                "Section 6 splits the variance and finds the init share is the larger one.",
            ),
            ("No cones at all without training.", False, "Cones are a property of random networks."),
            ("Cones that differ only by their width.", False, "Their directions differ, not just their widths."),
        ),
        _q(
            "Why is there a modality gap before training begins?",
            (
                "Image and text towers have different random weights: two towers, two cones.",
                True,
                "Section 5's picture shows the two cones of one untrained model with nearly perpendicular axes.",
            ),
            ("Because the captions are shorter than the images.", False, "That is lesson 04's story, for training."),
            ("Because of the low temperature.", False, "The temperature acts only once training starts."),
            ("There is none: the gap appears only during training.", False, "The untrained model already has one."),
        ),
        _q(
            "The mean pairwise cosine of N embeddings, averaged over all N² entries (diagonal included) instead of "
            "the N(N−1) pairs i ≠ j, is ...",
            (
                "larger (unless all cosines are 1): the diagonal entries are all 1.",
                True,
                "Adding N ones to an average of values ≤ 1 raises it; the official Fig. 2b code keeps the diagonal.",
            ),
            ("smaller.", False, "The diagonal adds the largest possible cosine, 1."),
            ("the same.", False, "Only when every cosine is already 1."),
            ("undefined.", False, "Both averages are well defined."),
        ),
    ),
    "03": (
        _q(
            "Shifting a trained CLIP's embeddings to close more than a few percent of the gap at CLIP's τ = 1/100 ...",
            (
                "raises the loss: a trained CLIP has no incentive to close its gap.",
                True,
                "Section 1's fine scan: the minimum is near the unshifted gap.",
            ),
            ("lowers the loss steadily until the gap is closed.", False, "That is what happens at τ = 1."),
            ("leaves the loss unchanged.", False, "The loss curve in Fig. 3b has a clear minimum."),
            ("makes the loss undefined.", False, "The shifted embeddings are re-normalised, the loss stays finite."),
        ),
        _q(
            "At τ = 1, closing almost all of the gap ...",
            ("raises the loss.", False, "That is the τ = 1/100 picture."),
            ("lowers the loss.", True, "At a hot softmax the matched term wins (Fig. 3d, Section 1)."),
            ("does nothing.", False, "The τ = 1 curve falls as the gap closes."),
            ("is impossible.", False, "The shift can close the gap at any τ."),
        ),
        _q(
            "Split the loss into its matched term (numerator) and the log-sum-exp term (denominator). Closing the "
            "gap at τ = 1/100 ...",
            (
                "lowers the matched term, raises the log-sum-exp term, and the log-sum-exp term wins.",
                True,
                "Negatives also come closer; at a low τ their growth dominates (Section 1, numerator vs denominator).",
            ),
            ("raises both terms.", False, "Matched pairs come closer, so the matched term falls."),
            ("lowers both terms.", False, "The total rises, so at least one term must rise."),
            ("changes only the numerator.", False, "Every similarity moves, the denominator too."),
        ),
        _q(
            "In Liang's sphere toy (Fig. 3e–g), what makes the low-temperature loss push the two modalities apart?",
            (
                "Mismatched pairs in the data.",
                True,
                "With mismatched pairs the minimum sits at a nonzero angle; matched data put it at zero gap.",
            ),
            ("The high dimension of the sphere.", False, "The toy works on a low-dimensional sphere."),
            ("The Procrustes rotation.", False, "That belongs to the init-vs-optimization experiment."),
            ("A bug in the loss.", False, "With matched data the same loss puts the minimum at zero gap."),
        ),
        _q(
            "Removing the gap at initialisation with a Procrustes rotation: what does this course's laptop run show?",
            (
                "Neither of our two recipes reproduces the paper's regrown gap; the lesson says so and shows both.",
                True,
                "Paper: the amended model keeps 57 % of the gap after 5 epochs; ours barely moves or closes both gaps.",
            ),
            ("Exactly the paper's numbers.", False, "Section 3 prints ours beside the paper's; they differ."),
            ("The gap can never be removed at initialisation.", False, "The rotation does remove it at init."),
            ("The rotation makes training diverge.", False, "Both arms train normally."),
        ),
    ),
    "04": (
        _q(
            "What is information imbalance in the sense of Schrodi et al.?",
            (
                "H(image | caption) > 0: many images share one caption, the caption says less than the image.",
                True,
                "Section 1 computes H(X | C) for caption rules: the bits of the image the caption leaves open.",
            ),
            ("The image tower has more parameters than the text tower.", False, "It is about the data."),
            ("The dataset has more captions than images.", False, "The count of pairs is not the point."),
            ("The two modalities use different embedding dimensions.", False, "Both share one space."),
        ),
        _q(
            "Each caption is shared by K equally likely images, and each image has exactly one caption. H(X | C) = ?",
            ("0 bits.", False, "Zero would mean the caption determines the image (K = 1)."),
            ("log₂ K bits.", True, "Given the caption, the image is uniform over K choices: log₂ K bits left open."),
            ("K bits.", False, "Entropy of a uniform choice among K is the logarithm of K, not K."),
            ("log₂ K bits, but only when K is a power of 2.", False, "log₂ K is the entropy for every K."),
        ),
        _q(
            "On MAD, what happens as captions name fewer attributes?",
            (
                "The modality gap (RMG, L2M) grows and the object bias (image MOAD) grows.",
                True,
                "Section 3 reads both off the cached sweep and the live run.",
            ),
            ("The gap closes.", False, "Poorer captions leave a larger gap."),
            ("Nothing changes: MAD images are the same.", False, "The images are the same; the captions change."),
            ("The object bias disappears.", False, "It increases."),
        ),
        _q(
            "Make the colour the attribute every caption names (instead of the digit). Where does the bias go?",
            (
                "To colour: the 'object' is whatever every caption names.",
                True,
                "Section 4: caption presence, not frequency, decides which attribute the embeddings favour.",
            ),
            ("It stays on the digit.", False, "The digit is no longer always named."),
            ("It vanishes.", False, "The always-named attribute still dominates."),
            ("It goes to the least frequent attribute.", False, "Presence in every caption decides."),
        ),
        _q(
            "Why does lesson 04 train its own small CLIP rather than the paper's MAD models?",
            (
                "The paper's MAD training and evaluation code was never released; the model and recipe are ours.",
                True,
                "The lesson states this up front; the dataset follows the official generator.",
            ),
            ("The paper's models are too big to download.", False, "There is nothing to download."),
            ("The paper used a different dataset.", False, "The lesson uses the paper's MAD dataset design."),
            ("To get the same numbers as the paper.", False, "Our numbers are ours; the lesson compares them."),
        ),
        _q(
            "Section 5: how do the modality gap and the entropy of the logits behave as the temperature changes?",
            ("They move in opposite directions.", False, "The lesson's summary: they move together."),
            (
                "They move together.",
                True,
                "Temperature is the second knob: gap and logit entropy rise and fall together.",
            ),
            ("The entropy does not depend on the temperature.", False, "Dividing logits by τ changes their entropy."),
            ("The gap does not depend on the temperature.", False, "Section 5 compares a learnable and a frozen τ."),
        ),
    ),
    "05": (
        _q(
            "Which metric compares matched pairs relative to the space each modality uses?",
            ("L2M.", False, "L2M compares the two centroids only."),
            ("L2I.", False, "L2I is the plain mean distance of matched pairs."),
            (
                "RMG.",
                True,
                "RMG = M / (M + (D_X + D_Y) / 2): matched-pair dissimilarity relative to each modality's spread.",
            ),
            ("MOAD.", False, "MOAD measures object bias, not the gap."),
        ),
        _q(
            "One modality collapses to a small cluster around its old centroid. Which statement holds?",
            (
                "L2M barely changes while RMG moves.",
                True,
                "The centroid stays; the space that modality uses shrinks, and RMG measures relative to it.",
            ),
            ("L2M and RMG move equally.", False, "L2M sees only the centroids."),
            ("Neither metric changes.", False, "RMG reacts (Section 2)."),
            ("L2M drops to zero.", False, "The centroid has not moved."),
        ),
        _q(
            "Why can RMG be computed on a million embeddings?",
            (
                "It needs only sums of unit vectors: the mean pairwise cosine is (‖Σx‖² − N) / (N(N−1)), O(N·d).",
                True,
                "Exercise 5.2: no N × N matrix is formed.",
            ),
            ("It samples 5,000 pairs.", False, "Only uniformity uses a sample; RMG is exact."),
            ("It uses a GPU.", False, "The course runs on CPU."),
            ("It cannot; the N × N version is required.", False, "The O(N·d) identity gives the same number."),
        ),
        _q(
            "In CLIP, how many of the 512 dimensions carry most of the centroid gap?",
            (
                "A couple: they separate the modalities on their own, and removing them shrinks but does not "
                "remove the gap.",
                True,
                "Section 3 sorts the mean differences and removes the top-k dimensions.",
            ),
            ("All 512 equally.", False, "The sorted mean differences are far from flat."),
            ("About half.", False, "A few dominate."),
            ("None: the gap is not axis-aligned at all.", False, "Two dimensions alone separate the modalities."),
        ),
        _q(
            "What does the official MOAD code count that the paper's definition does not say?",
            (
                "A row-order-dependent subset of the inter-class pairs; exact_official=True reproduces it.",
                True,
                "Section 4, 'The official code's quirk'.",
            ),
            ("All pairs, diagonal included.", False, "It counts a subset, not more pairs."),
            ("Only same-class pairs.", False, "MOAD uses pairs of different classes."),
            ("Nothing: code and paper agree.", False, "The lesson shows where they differ."),
        ),
        _q(
            "What does a gap–performance correlation over a handful of models tell you?",
            (
                "Little on its own: it needs many models and a controlled confounder; a permutation test shows how "
                "much a few models can say.",
                True,
                "Section 5 compares the Kendall τ over all models with the τ within settings.",
            ),
            ("That a smaller gap causes better performance.", False, "A correlation is not a cause."),
            ("Nothing ever: the gap and performance are unrelated.", False, "Section 5 measures a relation."),
            ("The exact slope of accuracy vs gap.", False, "Kendall τ is a rank statistic, not a slope."),
        ),
    ),
}


def questions(lesson: str) -> tuple[Question, ...]:
    """The quiz of one lesson.

    Parameters
    ----------
    lesson : str
        The lesson number, ``"01"`` to ``"05"``.

    Returns
    -------
    tuple of Question
        The questions in order (numbered from 1).
    """
    if not isinstance(lesson, str):
        raise TypeError(f"lesson must be a string like '01', got {type(lesson).__name__}")
    if lesson not in QUIZZES:
        raise ValueError(f"no quiz for lesson {lesson!r}; the quizzes are {', '.join(sorted(QUIZZES))}")
    return QUIZZES[lesson]


def _normalise(lesson: str, answers: Mapping[Any, Any]) -> dict[int, str]:
    """Validate typed answers ``{1: "b", ...}``: known question numbers, known option letters."""
    qs = questions(lesson)
    if not isinstance(answers, Mapping):
        raise TypeError(f"answers must be a dict like {{1: 'b', 2: 'a'}}, got {type(answers).__name__}")
    clean = {}
    for number, key in answers.items():
        if isinstance(number, bool) or not isinstance(number, int):
            raise TypeError(f"question numbers are integers 1..{len(qs)}, got {number!r}")
        if not 1 <= number <= len(qs):
            raise ValueError(f"lesson {lesson}'s quiz has questions 1..{len(qs)}, not {number}")
        letters = [o.key for o in qs[number - 1].options]
        if not isinstance(key, str) or key.strip().lower() not in letters:
            raise ValueError(f"question {number}: answer with one of {', '.join(letters)}, got {key!r}")
        clean[number] = key.strip().lower()
    return clean


def verdicts(lesson: str, answers: Mapping[Any, Any]) -> list[tuple[int, str, str]]:
    """(question number, verdict, explanation) for each answered question; verdict is "right" or "wrong".

    Parameters
    ----------
    lesson : str
        The lesson number, ``"01"`` to ``"05"``.
    answers : mapping of int to str
        Question number (from 1) to option letter.

    Returns
    -------
    list of tuple
        One entry per answered question, in question order.
    """
    qs = questions(lesson)
    out = []
    for number, key in sorted(_normalise(lesson, answers).items()):
        option = qs[number - 1].option(key)
        out.append((number, "right" if option.correct else "wrong", option.why))
    return out


def check_quiz(lesson: str, answers: Mapping[Any, Any]) -> None:
    """Print a verdict with its explanation for each typed answer; the lesson's quiz cell.

    An empty ``answers`` prints "not answered yet" (the student form). With ``require_pass()`` on (the solution
    form) a wrong or missing answer raises ``ExerciseCheckFailed``.

    Parameters
    ----------
    lesson : str
        The lesson number, ``"01"`` to ``"05"``.
    answers : mapping of int to str
        Question number (from 1) to option letter, e.g. ``{1: "b", 2: "a"}``.

    Returns
    -------
    None
        The verdicts are printed (as the exercise checks do); ``verdicts`` gives them as data.
    """
    qs = questions(lesson)
    results = verdicts(lesson, answers)
    if not results:
        print(f"⏳ Quiz {lesson}: not answered yet — fill in answers = {{1: 'a', ...}} (questions 1..{len(qs)}).")
        if strict():
            raise ExerciseCheckFailed(f"Quiz {lesson}: no answers")
        return None
    for number, verdict, why in results:
        mark = "✅ right" if verdict == "right" else "❌ wrong"
        print(f"{mark} — question {number}: {why}")
    right = sum(v == "right" for _, v, _ in results)
    missing = [n for n in range(1, len(qs) + 1) if n not in {r[0] for r in results}]
    summary = f"Quiz {lesson}: {right} of {len(qs)} right"
    print(summary + (f"; not answered: {', '.join(map(str, missing))}" if missing else "") + ".")
    if strict() and right < len(qs):
        raise ExerciseCheckFailed(summary)
    return None


def quiz_text(lesson: str) -> str:
    """The quiz as plain text (the fallback where widgets cannot render)."""
    lines = [f"Quiz — lesson {lesson} (answer below with check_quiz)"]
    for number, q in enumerate(questions(lesson), 1):
        lines.append(f"{number}. {q.text}")
        lines += [f"   ({o.key}) {o.text}" for o in q.options]
    return "\n".join(lines)


class QuizWidget:
    """What ``quiz`` returns: RadioButtons per question, a Check button and per-question feedback.

    Its mimebundle carries the widget view plus ``text/plain`` with the questions, so a static viewer
    (GitHub, nbconvert HTML) shows the questions once, as text, and JupyterLab shows the widget.
    """

    def __init__(self, lesson: str):
        import ipywidgets as W

        self.lesson = lesson
        self.questions = questions(lesson)
        self.radios, self.feedback, rows = [], [], []
        for number, q in enumerate(self.questions, 1):
            radio = W.RadioButtons(
                options=[(f"({o.key}) {o.text}", o.key) for o in q.options],
                value=None,
                layout=W.Layout(width="auto"),
            )
            note = W.HTML("")
            self.radios.append(radio)
            self.feedback.append(note)
            rows.append(W.VBox([W.HTML(f"<b>{number}. {q.text}</b>"), radio, note]))
        self.button = W.Button(description="Check", button_style="primary")
        self.score = W.HTML("")
        self.button.on_click(lambda _: self.check())
        self.box = W.VBox(rows + [W.HBox([self.button, self.score])])

    def answers(self) -> dict[int, str]:
        """The options picked so far, ``{question number: letter}``."""
        return {i: r.value for i, r in enumerate(self.radios, 1) if r.value is not None}

    def check(self) -> int:
        """Fill in the feedback for every question; return the number of right answers."""
        given = self.answers()
        right = 0
        for number, note in enumerate(self.feedback, 1):
            if number not in given:
                note.value = "<i>not answered yet</i>"
                continue
            option = self.questions[number - 1].option(given[number])
            right += option.correct
            mark = "✅ right" if option.correct else "❌ wrong"
            note.value = f"{mark}: {option.why}"
        self.score.value = f"{right} of {len(self.questions)} right"
        return right

    def _repr_mimebundle_(self, **kwargs: Any):
        data = self.box._repr_mimebundle_(**kwargs) or {}
        return {**data, "text/plain": quiz_text(self.lesson)}


class QuizText:
    """The quiz as text only: what ``quiz`` returns with ``MODGAP_WIDGETS=static`` (front ends without widgets)."""

    def __init__(self, lesson: str):
        self.lesson = lesson

    def _repr_mimebundle_(self, **kwargs: Any):
        return {"text/plain": quiz_text(self.lesson)}


def quiz(lesson: str) -> QuizWidget | QuizText:
    """The lesson's quiz as a widget (RadioButtons per question, a Check button, feedback).

    Parameters
    ----------
    lesson : str
        The lesson number, ``"01"`` to ``"05"``.

    Returns
    -------
    QuizWidget or QuizText
        Displays as the widget in JupyterLab and as plain text elsewhere; with ``MODGAP_WIDGETS=static``
        the text only (``QuizText``).
    """
    from modgap_edu.plots.widgets import static_mode

    questions(lesson)  # validate before importing ipywidgets
    return QuizText(lesson) if static_mode() else QuizWidget(lesson)
