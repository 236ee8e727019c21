#!/usr/bin/env python3
"""Turns the npm package emoji-datasource-google into a captioned image folder (python3 standard library only).

    cd /tmp && npm pack emoji-datasource-google@16.0.0
    python3 scripts/emoji_folder.py /tmp/emoji-datasource-google-16.0.0.tgz --out data/emoji-google-64

OUT gets the 64x64 PNGs (3,786 for 16.0.0: every emoji and every skin-tone variant the package has a Google image
for) and metadata.jsonl, one {"file_name": ..., "text": ...} line per image (the Hugging Face imagefolder
convention). A caption is the emoji's name and its category, lower-cased, "&" spelled "and"; skin-tone variants add
their tones: "grinning face, smileys and emotion", "father christmas, people and body (medium skin tone)".
--captions FILE also writes the captions alone, one a line, sorted and de-duplicated (the corpus the BPE
vocabulary in data/captions/ is learned from). The images are not part of the repository.
"""
import argparse
import io
import json
import os
import sys
import tarfile

TONES = {"1F3FB": "light", "1F3FC": "medium-light", "1F3FD": "medium", "1F3FE": "medium-dark", "1F3FF": "dark"}


def words(s):
    return " ".join(s.lower().replace("&", "and").split())


def tone_words(key):
    """'1F3FD' -> 'medium skin tone'; '1F3FB-1F3FF' (two people) -> 'light skin tone, dark skin tone'."""
    return ", ".join(TONES[t] + " skin tone" for t in key.upper().split("-"))


def entries(emoji):
    """(image file, caption) for each Google image of the package, in the package's sort order."""
    for e in sorted(emoji, key=lambda e: e["sort_order"]):
        base = words(e["name"]) + ", " + words(e["category"])
        if e.get("has_img_google"):
            yield e["image"], base
        for key, v in sorted((e.get("skin_variations") or {}).items()):
            if v.get("has_img_google"):
                yield v["image"], base + " (" + tone_words(key) + ")"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("package", help="the .tgz from `npm pack emoji-datasource-google@16.0.0`, or its unpacked folder")
    ap.add_argument("--out", help="image folder to write (PNGs + metadata.jsonl); omit to write only --captions")
    ap.add_argument("--size", type=int, default=64, choices=[16, 20, 32, 64], help="image size in the package (default 64)")
    ap.add_argument("--captions", help="also write the captions, one a line, sorted and de-duplicated")
    a = ap.parse_args()
    if not a.out and not a.captions:
        ap.error("give --out, --captions or both")

    if os.path.isdir(a.package):
        root = os.path.join(a.package, "package") if os.path.isdir(os.path.join(a.package, "package")) else a.package
        read = lambda name: open(os.path.join(root, name), "rb").read()
        close = lambda: None
    elif os.path.isfile(a.package):
        tar = tarfile.open(a.package, "r:gz")
        members = {m.name: m for m in tar.getmembers() if m.isfile()}

        def read(name):
            m = members.get("package/" + name)
            if m is None:
                raise FileNotFoundError("package/" + name + " is not in " + a.package)
            return tar.extractfile(m).read()
        close = tar.close
    else:
        sys.exit(f"error: {a.package} not found; run `cd /tmp && npm pack emoji-datasource-google@16.0.0` first")

    try:
        emoji = json.loads(read("emoji.json"))
    except (FileNotFoundError, KeyError, ValueError) as e:
        sys.exit(f"error: {a.package} has no readable emoji.json ({e}); is it emoji-datasource-google?")
    items = list(entries(emoji))

    if a.out:
        os.makedirs(a.out, exist_ok=True)
        with open(os.path.join(a.out, "metadata.jsonl.tmp"), "w", encoding="utf-8") as meta:
            for i, (image, caption) in enumerate(items, 1):
                data = read(f"img/google/{a.size}/{image}")
                with open(os.path.join(a.out, image), "wb") as f:
                    f.write(data)
                meta.write(json.dumps({"file_name": image, "text": caption}, ensure_ascii=False) + "\n")
                if i % 500 == 0 or i == len(items):
                    print(f"\r{i}/{len(items)} images", end="", file=sys.stderr, flush=True)
        os.replace(os.path.join(a.out, "metadata.jsonl.tmp"), os.path.join(a.out, "metadata.jsonl"))
        print(f"\nwrote {len(items)} images and metadata.jsonl to {a.out}", file=sys.stderr)
    if a.captions:
        lines = sorted(set(c for _, c in items))
        with open(a.captions, "w", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")
        print(f"wrote {len(lines)} distinct captions to {a.captions}", file=sys.stderr)
    close()


if __name__ == "__main__":
    main()
