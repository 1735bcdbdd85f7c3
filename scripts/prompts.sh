#!/usr/bin/env bash
# Makes the words queues say to waiting callers, as 8 kHz mono 16-bit WAVs, with espeak-ng and
# sox: DIR/{en,pl,he}/{place,wait,over,callback,callback-confirm,1..20}.wav (DIR: ./data/prompts
# by default). A word already there is kept, so a recording of one's own (same name and format) stays.
set -euo pipefail
dir=${1:-data/prompts}
if ! command -v espeak-ng >/dev/null || ! command -v sox >/dev/null; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq espeak-ng sox >/dev/null
fi
tmp=$(mktemp --suffix=.wav)
trap 'rm -f "$tmp"' EXIT
say() { # language, name, text
  local out="$dir/$1/$2.wav"
  [ -s "$out" ] && return 0
  mkdir -p "$dir/$1"
  espeak-ng -v "$1" -s 150 -w "$tmp" "$3"
  sox "$tmp" -r 8000 -c 1 -b 16 "$out"
}
say en place "Your place in the queue:"
say en wait "Expected waiting time, in minutes:"
say en over "more than twenty"
say en callback "To be called back without losing your place, press 1."
say en callback-confirm "Thank you. We will call you back when it is your turn. Goodbye."
say pl place "Twoje miejsce w kolejce:"
say pl wait "Przewidywany czas oczekiwania, w minutach:"
say pl over "ponad dwadzieścia"
say pl callback "Jeśli chcesz, abyśmy oddzwonili bez utraty miejsca w kolejce, naciśnij 1."
say pl callback-confirm "Dziękujemy. Oddzwonimy, gdy nadejdzie Twoja kolej. Do usłyszenia."
say he place "המקום שלך בתור:"
say he wait "זמן ההמתנה המשוער, בדקות:"
say he over "יותר מעשרים"
say he callback "כדי שנחזור אליך בלי לאבד את מקומך בתור, הקש 1."
say he callback-confirm "תודה. נחזור אליך כשיגיע תורך. להתראות."
for lang in en pl he; do
  for n in $(seq 1 20); do say "$lang" "$n" "$n"; done
done
