"""``python -m tally``: the words of stdin, counted, most frequent first."""

from collections import Counter

import attrs
import click


@attrs.frozen
class Count:
    word: str
    times: int


@click.command()
@click.option("--top", default=3, help="how many words to show")
def main(top: int) -> None:
    words = Counter(click.get_text_stream("stdin").read().split())
    for count in (Count(w, n) for w, n in words.most_common(top)):
        click.echo(f"{count.times} {count.word}")


if __name__ == "__main__":
    main()
