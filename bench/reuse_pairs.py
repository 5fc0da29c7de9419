"""The labelled sentence pairs behind reuse.THRESHOLD: writes bench/data/reuse_pairs.jsonl (dev/test split).

Each pair is labelled by hand: 1 when the second sentence was taken from the first (verbatim, or lightly edited:
typography, spelling, a word swapped, a clause added or dropped), 0 when it was not — including the hard cases a
naive detector gets wrong: identical boilerplate and "Read more" lines, datelines, short quotes every outlet
carries, paraphrases of the same fact and different sentences about the same event. Kinds alternate between the
dev split (used to choose the threshold) and the test split (used only to report).

Run: .venv/bin/python -m bench.reuse_pairs
"""

from __future__ import annotations

import json
from pathlib import Path

OUT = Path(__file__).resolve().parent / "data" / "reuse_pairs.jsonl"

# (kind, label, a, b)
PAIRS: list[tuple[str, int, str, str]] = [
    # Verbatim and typography-only copies (seeds: the two Moscow Times captures, Press TV / The National).
    ("verbatim", 1, "North Korean leader Kim Jong Un’s armored train has crossed into Russia ahead of a rare and "
     "closely watched summit with President Vladimir Putin, Russian media reported Tuesday.",
     "North Korean leader Kim Jong Un's armored train has crossed into Russia ahead of a rare and closely watched "
     "summit with President Vladimir Putin, Russian media reported Tuesday."),
    ("verbatim", 1, "Kim left Pyongyang accompanied by military, government and ruling party officials on Sunday "
     "afternoon, according to North Korean state media, his first visit abroad in more than four years.",
     "Kim left Pyongyang accompanied by military, government and ruling party officials on Sunday afternoon, "
     "according to North Korean state media, his first visit abroad in more than four years."),
    ("verbatim", 1, "“There will be negotiations between two delegations, and after that, if necessary, the leaders "
     "will continue their communication in a one-on-one format.”",
     "\"There will be negotiations between two delegations, and after that, if necessary, the leaders will continue "
     "their communication in a one-on-one format.\""),
    ("verbatim", 1, "Experts say Moscow likely seeks artillery shells and antitank missiles from North Korea, while "
     "Pyongyang could ask for advanced technology.",
     "Experts say Moscow likely seeks artillery shells and antitank missiles from North Korea, while Pyongyang "
     "could ask for advanced technology."),
    ("verbatim", 1, "Washington has said North Korea would \"pay a price\" if it supplies Moscow with weapons for "
     "its war in Ukraine.",
     "Washington has said North Korea would “pay a price” if it supplies Moscow with weapons for its war in "
     "Ukraine."),
    ("verbatim", 1, "The company said revenue rose 12 percent in the third quarter, driven by strong demand for its "
     "cloud services in Europe and Asia.",
     "The company said revenue rose 12 percent in the third quarter, driven by strong demand for its cloud "
     "services in Europe and Asia."),
    # Light edits: a word swapped, spelling, a clause dropped or added, a different sentence cut.
    ("edit", 1, "Kremlin spokesman Dmitry Peskov told Russian media that the two leaders would be joined by their "
     "delegations for talks.",
     "Kremlin spokesman Dmitry Peskov told reporters that the two leaders would be joined by their delegations "
     "for talks."),
    ("edit", 1, "Mr Kim, who travelled to Russia by armoured train accompanied by top arms industry and military "
     "officials, is reportedly in search of advanced technology.",
     "Kim, who traveled to Russia by armored train accompanied by top arms industry and military officials, is "
     "reportedly in search of advanced technology."),
    ("edit", 1, "Peskov downplayed US “warnings” over the talks, saying “In building our relations with our "
     "neighbors, including North Korea, the important thing for us is the interests of our two countries.”",
     "\"In building our relations with our neighbors, including North Korea, the important thing for us is the "
     "interests of our two countries, not warnings from Washington,\" Peskov told reporters."),
    ("edit", 1, "The storm is expected to make landfall on Thursday evening near the port city, bringing winds of up "
     "to 150 kilometres per hour.",
     "The storm is expected to make landfall late on Thursday near the port city, bringing winds of up to 150 "
     "kilometers per hour, forecasters said."),
    ("edit", 1, "Police said three people were arrested after the protest turned violent outside the parliament "
     "building on Saturday night.",
     "Police said four people were arrested after the protest turned violent outside the parliament building late "
     "on Saturday."),
    ("edit", 1, "The central bank raised its key interest rate by half a percentage point to 5.25 percent, the "
     "highest level in more than a decade.",
     "The central bank on Wednesday raised its key interest rate by half a percentage point to 5.25%, the highest "
     "level in more than a decade."),
    ("edit", 1, "Officials said the ceasefire would take effect at midnight local time and would be monitored by "
     "observers from the United Nations.",
     "The ceasefire will take effect at midnight local time and will be monitored by observers from the United "
     "Nations, officials said."),
    ("edit", 1, "The minister told parliament the government had no plans to raise taxes on fuel before the end "
     "of the year.",
     "The minister told lawmakers that the government had no plans to raise fuel taxes before the end of the "
     "year."),
    ("edit", 1, "Rescue teams were still searching for survivors on Monday as the death toll from the earthquake "
     "rose to 214, the health ministry said.",
     "Rescue teams were still searching for survivors on Monday as the death toll from the quake climbed to 214, "
     "according to the health ministry."),
    ("edit", 1, "Vesti Primorye reported that Kim could meet Putin at the Vostochny Cosmodrome in Russia’s Amur "
     "region on Wednesday, citing heavy security and media presence at a nearby airport.",
     "Kim could meet Putin at the Vostochny Cosmodrome in Russia's Amur region on Wednesday, Vesti Primorye "
     "reported, citing heavy security and media presence at a nearby airport."),
    # Boilerplate and page furniture: identical text, but not reporting anyone took from anyone.
    ("boilerplate", 0, "Read more: Kim Jong Un arrives in Russia for talks with Putin on weapons deals",
     "Read more: Kim Jong Un arrives in Russia for talks with Putin on weapons deals"),
    ("boilerplate", 0, "Subscribe to our newsletter to get the latest news from the region delivered to your inbox "
     "every morning.",
     "Subscribe to our newsletter to get the latest news from the region delivered to your inbox every morning."),
    ("boilerplate", 0, "Follow us on Telegram and X for breaking news and analysis from our correspondents around "
     "the world.",
     "Follow us on Telegram and X for breaking news and analysis from our correspondents around the world."),
    ("boilerplate", 0, "Click here to read the full story and join the conversation in the comments below.",
     "Click here to read the full story and join the conversation in the comments below."),
    ("boilerplate", 0, "Copyright 2023 The Associated Press. All rights reserved. This material may not be "
     "published or broadcast.",
     "Copyright 2023 The Associated Press. All rights reserved. This material may not be published or broadcast."),
    ("boilerplate", 0, "Related: Russia and North Korea sign a new agreement on military cooperation and trade",
     "Related: Russia and North Korea sign a new agreement on military cooperation and trade"),
    ("boilerplate", 0, "Sign up for our daily briefing to receive the most important stories of the day in one "
     "email.",
     "Sign up for our daily briefing to receive the most important stories of the day in one email."),
    ("boilerplate", 0, "Share this article on social media so your friends can read about it too, right now.",
     "Share this article on social media so your friends can read about it too, right now."),
    # Datelines and bylines: short and identical everywhere.
    ("dateline", 0, "MOSCOW, Sept 12 (Reuters) -", "MOSCOW, Sept 12 (Reuters) -"),
    ("dateline", 0, "VLADIVOSTOK, Russia (AP) —", "VLADIVOSTOK, Russia (AP) —"),
    ("dateline", 0, "By Guy Faulconbridge and Andrew Osborn", "By Guy Faulconbridge and Andrew Osborn"),
    ("dateline", 0, "SEOUL, Sept 13 (Yonhap) --", "SEOUL, Sept 13 (Yonhap) --"),
    ("dateline", 0, "Updated: 12 September 2023, 10:45 GMT", "Updated: 12 September 2023, 10:45 GMT"),
    ("dateline", 0, "AFP contributed reporting.", "AFP contributed reporting."),
    # Short quotes every outlet carries, framed differently: the quote alone is no evidence of copying.
    ("short-quote", 0, "“It will be a full-fledged visit,” Mr Peskov said.",
     "“It will be a full-fledged visit,” Kremlin spokesman Dmitry Peskov told Russian media."),
    ("short-quote", 0, "Putin called the talks “very productive.”",
     "The talks were “very productive,” the Russian president said on Wednesday evening after the meeting."),
    ("short-quote", 0, "Biden said: “We will not back down.”",
     "“We will not back down,” Biden told supporters at the rally in Philadelphia on Friday night."),
    ("short-quote", 0, "Zelensky vowed to “fight until the end.”",
     "Ukraine will “fight until the end,” President Volodymyr Zelensky said in his nightly video address."),
    ("short-quote", 0, "The ministry called the report “fake news.”",
     "In a statement, the foreign ministry dismissed the newspaper's report as “fake news” and demanded an apology."),
    ("short-quote", 0, "“Obviously, as neighbors, our countries cooperate,” he said.",
     "He said the two countries cooperate “obviously, as neighbors” in many areas including the economy and trade."),
    # Paraphrases: the same fact told in other words.
    ("paraphrase", 0, "The armored train carrying North Korean leader Kim Jong-un has crossed into Russian territory "
     "ahead of the summit with President Vladimir Putin, Kremlin Press Secretary Dmitry Peskov confirmed.",
     "North Korean leader Kim Jong Un’s armored train has crossed into Russia ahead of a rare and closely watched "
     "summit with President Vladimir Putin, Russian media reported Tuesday."),
    ("paraphrase", 0, "North Korean leader Kim Jong-un crossed into Russia on Tuesday to meet President Vladimir "
     "Putin, with talks expected to focus on weapon sales.",
     "North Korean leader Kim Jong-un has arrived in Russia for a meeting with President Vladimir Putin that will "
     "involve discussing “sensitive” subjects, according to the Kremlin spokesman."),
    ("paraphrase", 0, "Experts suggest Mr Putin is seeking artillery shells and anti-tank missiles from North Korea "
     "for Moscow’s war in Ukraine.",
     "Experts say Moscow likely seeks artillery shells and antitank missiles from North Korea, while Pyongyang "
     "could ask for advanced technology."),
    ("paraphrase", 0, "Kim does not travel abroad frequently, and the visit is his first trip abroad in four years.",
     "Kim left Pyongyang accompanied by military, government and ruling party officials on Sunday afternoon, "
     "according to North Korean state media, his first visit abroad in more than four years."),
    ("paraphrase", 0, "The central bank lifted borrowing costs by 50 basis points, taking its main rate to a "
     "level not seen for over ten years.",
     "The central bank raised its key interest rate by half a percentage point to 5.25 percent, the highest level "
     "in more than a decade."),
    ("paraphrase", 0, "At least 214 people died in the earthquake, the health ministry said on Monday, as rescuers "
     "kept digging through the rubble.",
     "Rescue teams were still searching for survivors on Monday as the death toll from the earthquake rose to "
     "214, the health ministry said."),
    ("paraphrase", 0, "Forecasters warned that winds could reach 150 km/h when the storm hits the coast near the "
     "port on Thursday.",
     "The storm is expected to make landfall on Thursday evening near the port city, bringing winds of up to 150 "
     "kilometres per hour."),
    ("paraphrase", 0, "Putin arrived in Vladivostok on Monday for a two-day visit to attend the Eastern Economic "
     "Forum.",
     "Putin is currently in Vladivostok for the plenary session of the Eastern Economic Forum, which runs through "
     "Wednesday."),
    # Different sentences about the same event: same names, different text.
    ("same-topic", 0, "Russian state news agency Ria Novosti reported on Tuesday that a train carrying Kim entered "
     "Primorsky region in Russia’s Far East.",
     "Live footage on Russian state television showed the dark green train pulled by a Russian Railways "
     "locomotive crossing into Far East Russia’s Primorye region."),
    ("same-topic", 0, "The US has claimed that Kim and Putin are likely to discuss providing Russia with weapons for "
     "its war in Ukraine.",
     "Washington has said North Korea would pay a price if it supplies Moscow with weapons for its war in "
     "Ukraine."),
    ("same-topic", 0, "Moscow and Pyongyang have further enhanced ties since the start of the war in Ukraine last "
     "year.",
     "Kim has described the war in Ukraine as a US proxy war to destroy Russia and has backed Moscow ever since."),
    ("same-topic", 0, "Discussions could also include humanitarian aid to North Korea and the UN Security Council "
     "resolutions imposed against Pyongyang.",
     "He is set to meet Mr Putin at an unspecified location in Russia’s Far East region later this week, according "
     "to Kremlin spokesman Dmitry Peskov."),
    ("same-topic", 0, "Police said the protest began peacefully before a group of masked men threw stones at "
     "officers guarding the parliament.",
     "Police said three people were arrested after the protest turned violent outside the parliament building on "
     "Saturday night."),
    ("same-topic", 0, "The company's shares fell 4 percent in early trading after the results were published on "
     "Thursday morning.",
     "The company said revenue rose 12 percent in the third quarter, driven by strong demand for its cloud "
     "services in Europe and Asia."),
    ("same-topic", 0, "The ministry said more than 3,000 buildings had collapsed and tens of thousands of people "
     "were left homeless.",
     "Rescue teams were still searching for survivors on Monday as the death toll from the earthquake rose to "
     "214, the health ministry said."),
    ("same-topic", 0, "Observers from the United Nations will report daily on violations along the front line, "
     "a spokesman said.",
     "Officials said the ceasefire would take effect at midnight local time and would be monitored by observers "
     "from the United Nations."),
    # More positives: wire copy with a sentence merged, trimmed or localised.
    ("edit", 1, "The ceasefire, brokered by Qatar and Egypt, will last four days and allow aid trucks into the "
     "territory, officials said on Wednesday.",
     "The ceasefire, brokered by Qatar and Egypt, will last four days and allow aid convoys into the territory, "
     "officials said."),
    ("edit", 1, "Shares in the carmaker jumped 8 percent after it raised its full-year profit forecast and "
     "announced a new share buyback programme.",
     "Shares in the carmaker jumped 8% after it raised its full-year profit forecast and announced a new share "
     "buyback program."),
    ("verbatim", 1, "Putin is currently in Vladivostok for an annual economic forum.",
     "Putin is currently in Vladivostok for an annual economic forum."),
    ("verbatim", 1, "Both leaders would ignore U.S. “warnings\" over the talks, Peskov told reporters.",
     "Both leaders would ignore U.S. \"warnings\" over the talks, Peskov told reporters."),
]


def main() -> None:
    """Write the pairs, alternating dev and test within each kind."""
    seen: dict[str, int] = {}
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with OUT.open("w", encoding="utf-8") as out:
        for number, (kind, label, a, b) in enumerate(PAIRS):
            count = seen.get(kind, 0)
            seen[kind] = count + 1
            record = {"id": f"p{number:03d}", "kind": kind, "label": label, "split": "dev" if count % 2 == 0 else
                      "test", "a": a, "b": b}
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    print(f"wrote {len(PAIRS)} pairs to {OUT.relative_to(OUT.parents[2])}")


if __name__ == "__main__":
    main()
