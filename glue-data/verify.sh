#!/usr/bin/env bash
# Checks the SHA-256 of every known data file found under a directory (the GLUE root, the SQuAD
# directory, the IMDb JSON Lines directory, or a directory holding glue/, squad/ and imdb/).
# Usage: glue-data/verify.sh <dir>   Exit status 1 when any file present does not match.
set -euo pipefail
dir="${1:?usage: verify.sh <data-dir>}"
status=0 found=0
while read -r sum name; do
  for candidate in "$dir/$name" "$dir/glue/$name" "$dir/squad/$name" "$dir/squad/v1.1/$name" "$dir/imdb/$name"; do
    if [[ -f "$candidate" ]]; then
      found=$((found + 1))
      actual=$(sha256sum "$candidate" | cut -d' ' -f1)
      if [[ "$actual" == "$sum" ]]; then
        echo "OK        $name"
      else
        echo "MISMATCH  $name ($actual)"
        status=1
      fi
      break
    fi
  done
done <<'SUMS'
48eac26399f8456935f81dd9e3a745c1430adb6c62e233ccfe22db4a0d15d1d1 SST-2/train.tsv
54a9c12c77e402fc14d6a66a506f24d999f596b0176eb777c972cccc2f9cc4b0 SST-2/dev.tsv
69a938605609b3e6663b4487918fe1565eb293734e6e520d0366d1d412fd2a13 SST-2/test.tsv
cb368ebeb9f27d7ad03720d27ddc95687a311bdb100781a2fe59a5f5b1bc0624 CoLA/train.tsv
8c013e21dc39957cac37378d87bebe225b694a0d5fe13eded66c2856628833fd CoLA/dev.tsv
3b4df85f7a9a0633574b38d181e18090ac961a24b18fb6bcd74999ddea8ad0b8 CoLA/test.tsv
69abcedee3cf738c6ce58d772e43e1b7cdf5b4edee4aceda459c0d9f4e5599f3 MRPC/train.tsv
9e8f284788040f7c9ecde2e1b3c07237c756f926bd9ef8548ef5d34b56f69f17 MRPC/dev.tsv
172dd03e9b0caee7c9dd7faa68e0381a1978e28004ed42383b1b4584a19576a1 MRPC/test.tsv
971d7767d81b997fd9060ade0ec23c4fc31cbb226a55d1bd4a1bac474eb81dc7 MRPC/dev_ids.tsv
60a9b09084528f0673eedee2b69cb941920f0b8cd0eeccefc464a98768457f89 MRPC/msr_paraphrase_train.txt
a04e271090879aaba6423d65b94950c089298587d9c084bf9cd7439bd785f784 MRPC/msr_paraphrase_test.txt
41c4d978b6162abdcada7e49a982211954cca5459c228db478af333124b257a2 STS-B/train.tsv
fe7dc0632a5033562f3cadff991f6e8d9b9b6311861660e78c3c82eb7db67f59 STS-B/dev.tsv
16b4223d7d44a644fbc10f1b449472cfe81e1715fb07cf44023b0aa88ce856eb STS-B/test.tsv
41e3a9b063433392343fad9e962cf2f58b681c78d8f71592f4186f0837246c5c RTE/train.tsv
80230dfa1347282e7b532b06a1004a76a710087541189bf874223ddf0e3819fb RTE/dev.tsv
6e33f09b5c2bfd5fd5fde217070f3dd49e484e33b9752b5864cf36fc421a213f RTE/test.tsv
95aa6a52d5d6a735563366753ca50492a658031da74f301ac5238b03966972c9 dev-v1.1.json
3527663986b8295af4f7fcdff1ba1ff3f72d07d61a20f487cb238a6ef92fd955 train-v1.1.json
6b53af562ea0c04ffd3951d360cc9c9a71ee24ed29317d8ae7e9dfa24de58fcc train.jsonl.gz
62835e0c0f3d96f1dd15e0dcc84fddab946ab035be70e0f33903bc28f2f7b227 test.jsonl.gz
SUMS
if [[ $found -eq 0 ]]; then
  echo "no known data file under $dir" >&2
  exit 2
fi
echo "$found file(s) checked"
exit $status
