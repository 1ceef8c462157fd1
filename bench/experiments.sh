#!/usr/bin/env bash
# The accuracy figures of the README: trains and evaluates each model family on ../shared/data/gtzan
# and prints one Markdown row per run. Validation data only: the fault-filtered valid list for the
# images and the CSV, 5-fold cross-validation by song for the audio (each fold tested on a fold
# that neither trained nor early-stopped the model). Usage: bench/experiments.sh [OUT_DIR] [GROUP...]
# with groups table, images, audio-cv, audio-cv-densenet, audio-cv-lstm, audio-cv-lstm-longer,
# audio-cv-more, images-more, imagenet-images, imagenet-audio-cv, music-audio-cv, music-audio-cv-finetune, bundled-cv, bundled-valid, table-audio-cv, gan-cv, gan-cv-lstm-longer, gan-judge,
# efficientnet-images (default: the first three). Needs a
# build (scripts/build.sh); the imagenet groups need ../shared/weights/imagenet ($GENRE_WEIGHTS_DIR;
# IMAGENET_ARCHS picks the architectures of imagenet-images).
set -uo pipefail
cd "$(dirname "$0")/.."
G=${GENRE_BIN:-build/genre}
DATA=${GENRE_GTZAN_DIR:-../shared/data/gtzan}
WEIGHTS=${GENRE_WEIGHTS_DIR:-../shared/weights}
OUT=${1:-/tmp/genre-experiments}
shift || true
GROUPS_WANTED=${*:-"table images audio-cv"}
mkdir -p "$OUT"

# One run: name, then train arguments. Prints the summary lines of genre train.
run() {
  local name=$1; shift
  $G train --out "$OUT/$name" "$@" > "$OUT/$name.log" 2>&1
  local rc=$?
  local acc auroc top2 params spe epochs
  acc=$(sed -n 's/^validation:  clip accuracy \([0-9.]*\).*/\1/p' "$OUT/$name.log")
  top2=$(sed -n 's/.*top-2 \([0-9.]*\),.*/\1/p' "$OUT/$name.log")
  auroc=$(sed -n 's/.*macro AUROC \([0-9.]*\);.*/\1/p' "$OUT/$name.log")
  params=$(sed -n 's/^parameters:  \([0-9]*\).*/\1/p; s/^trees:       \([0-9]*\).*/\1 rounds/p' "$OUT/$name.log")
  spe=$(sed -n 's/.*, \([0-9.]*\) s per epoch.*/\1/p' "$OUT/$name.log")
  epochs=$(sed -n 's/.* s per epoch, \([0-9]*\) epochs.*/\1/p' "$OUT/$name.log")
  echo "| $name | $acc | $top2 | $auroc | $params | $spe | $epochs | rc=$rc |"
}

# k-fold: trains fold F on kfold:5:F and evaluates its test fold; prints a row per fold, then
# bench/cv_summary.py's mean ± sd over every fold of NAME in OUT (clip accuracy, top-2, macro F1,
# macro AUROC) and, for comma-list data, each folder's files. FOLDS (default "0 1 2 3 4") runs some
# folds only (e.g. the rest of an interrupted run); CV_THREADS=N gives each run N torch threads (two
# cross-validations side by side on 2 cores: CV_THREADS=1 each).
cv() {
  local name=$1; shift
  local threads=(); [[ -n ${CV_THREADS:-} ]] && threads=(--threads "$CV_THREADS")
  for f in ${FOLDS:-0 1 2 3 4}; do
    $G train --out "$OUT/$name-f$f" --split "kfold:5:$f" "${threads[@]}" "$@" > "$OUT/$name-f$f.log" 2>&1
    $G evaluate --model "$OUT/$name-f$f/model.genre" --part test "${threads[@]}" --out "$OUT/$name-f$f/test" > "$OUT/$name-f$f.eval" 2>&1
    local a r
    a=$(sed -n '/^| n | accuracy/{n;n;p}' "$OUT/$name-f$f.eval" | awk -F'|' '{gsub(/ /,"",$3); print $3}')
    r=$(sed -n '/^| n | accuracy/{n;n;p}' "$OUT/$name-f$f.eval" | awk -F'|' '{gsub(/ /,"",$6); print $6}')
    local spe; spe=$(sed -n 's/.*, \([0-9.]*\) s per epoch.*/\1/p' "$OUT/$name-f$f.log")
    local params; params=$(sed -n 's/^parameters:  \([0-9]*\).*/\1/p' "$OUT/$name-f$f.log")
    echo "| $name fold $f | $a | | $r | $params | $spe | |"
  done
  /usr/bin/python3 bench/cv_summary.py "$OUT" "$name"
}

# WaveGAN clips ($GENRE_GAN_SAMPLES, genre gan sample's output) judged by cross-validation: NAME-real
# without them, NAME-with-generated with them added to each fold's training part only, and
# NAME-with-shuffled with the same clips under shuffled labels (bench/shuffle_labels.py, made once in
# OUT): does the help come from the genre? Then NAME's train arguments.
gan_cv() {
  local name=$1; shift
  local shuffled="$OUT/gan-shuffled"
  [[ -d $shuffled ]] || /usr/bin/python3 bench/shuffle_labels.py "${GENRE_GAN_SAMPLES:?set GENRE_GAN_SAMPLES}" "$shuffled" || return
  cv "$name-real" "$@"
  cv "$name-with-generated" "$@" --augment-with "$GENRE_GAN_SAMPLES"
  cv "$name-with-shuffled" "$@" --augment-with "$shuffled"
}

echo "| run | clip accuracy | top-2 | macro AUROC | parameters | s/epoch | epochs | |"
echo "|---|---|---|---|---|---|---|---|"
for group in $GROUPS_WANTED; do
  case $group in
    table)
      run table-logreg --data "$DATA/features_30_sec.csv" --model logreg --split fault-filtered --lr 1e-3 --epochs 300 --patience 30
      run table-mlp --data "$DATA/features_30_sec.csv" --model mlp --split fault-filtered --lr 1e-3 --epochs 300 --patience 30
      run table-xgboost --data "$DATA/features_30_sec.csv" --model xgboost --split fault-filtered --epochs 500 --patience 30
      ;;
    images)
      run images-mlp --data "$DATA/images_original" --model mlp --input image --split fault-filtered --lr 1e-4 --epochs 40 --patience 8
      run images-tiny --data "$DATA/images_original" --model tiny --input image --split fault-filtered --lr 1e-3 --epochs 40 --patience 8
      run images-cnn3 --data "$DATA/images_original" --model cnn3 --input image --split fault-filtered --lr 1e-3 --epochs 30 --patience 6
      ;;
    audio-cv)
      cv audio-tiny --data "$DATA/audio" --model tiny --chunk-hop 4 --lr 1e-3 --epochs 15 --patience 4
      cv audio-cnn3 --data "$DATA/audio" --model cnn3 --chunk-hop 4 --lr 1e-3 --epochs 10 --patience 3
      ;;
    # Epochs capped by CPU time (2 cores, OpenBLAS): DenseNet-121 about 70 s an epoch, the LSTM about 160 s.
    audio-cv-densenet)
      cv audio-densenet121 --data "$DATA/audio" --model densenet121 --input dual --chunk-hop 4 --lr 1e-3 --epochs 6 --patience 2
      cv audio-densenet-small --data "$DATA/audio" --model densenet-small --input dual --chunk-hop 4 --lr 1e-3 --epochs 10 --patience 3
      ;;
    audio-cv-lstm)
      cv audio-lstm --data "$DATA/audio" --model lstm --chunk-hop 4 --lr 1e-3 --epochs 3 --patience 2
      ;;
    # After audio-cv-lstm in the same OUT_DIR: its folds resumed from their checkpoints to 6 epochs.
    audio-cv-lstm-longer)
      cv audio-lstm --data "$DATA/audio" --model lstm --chunk-hop 4 --lr 1e-3 --epochs 6 --patience 3 --resume
      ;;
    audio-cv-more)
      cv audio-resnet18 --data "$DATA/audio" --model resnet18 --chunk-hop 4 --lr 1e-3 --epochs 6 --patience 2
      cv audio-mobilenet-v2 --data "$DATA/audio" --model mobilenet-v2 --chunk-hop 4 --lr 1e-3 --epochs 6 --patience 2
      ;;
    # The plain VGG-style stacks keep full resolution through two or more 3x3 layers: 5-10 s a batch
    # of 32 on one core, too slow for 5 x 5-fold runs here, so they are judged where the reference
    # projects judged them (Net1-Net4): the spectrogram images, fault-filtered valid list.
    images-more)
      run images-cnn4-bn --data "$DATA/images_original" --model cnn4-bn --input image --split fault-filtered --lr 1e-3 --epochs 10 --patience 3
      run images-cnn4 --data "$DATA/images_original" --model cnn4 --input image --split fault-filtered --lr 1e-3 --epochs 10 --patience 3
      run images-cnn-large --data "$DATA/images_original" --model cnn-large --input image --split fault-filtered --lr 1e-3 --epochs 8 --patience 3
      run images-vgg16 --data "$DATA/images_original" --model vgg16 --input image --split fault-filtered --lr 1e-4 --epochs 8 --patience 3
      ;;
    # From scratch against ImageNet weights (genre/imagenet.h), the same architecture and options:
    # fine-tuned whole (pretrained layers at lr x 0.1, the default --backbone-lr-scale) and as a
    # linear probe (--freeze backbone).
    imagenet-images)
      for arch in ${IMAGENET_ARCHS:-mobilenet-v2-0.35 squeezenet-1.1 mobilenet-v1-0.25}; do
        common=(--data "$DATA/images_original" --model "$arch" --input image --split fault-filtered --lr 1e-3 --epochs 15 --patience 4)
        run "images-$arch-scratch" "${common[@]}"
        run "images-$arch-imagenet" "${common[@]}" --pretrained "$WEIGHTS/imagenet/$arch/weights.safetensors"
        run "images-$arch-imagenet-probe" "${common[@]}" --pretrained "$WEIGHTS/imagenet/$arch/weights.safetensors" --freeze backbone
      done
      ;;
    # gan_cv on 1 s chunks, the generated clips' length.
    gan-cv)
      for arch in cnn3 lstm; do
        epochs=6; [[ $arch == lstm ]] && epochs=3   # CPU time: the LSTM cost 7-8x cnn3 an epoch (README)
        gan_cv "gan-$arch" --data "$DATA/audio" --model "$arch" --chunk 1 --chunk-hop 4 --lr 1e-3 --epochs $epochs --patience 2
      done
      ;;
    # The same for the LSTM trained longer (at most 12 epochs, patience 3).
    gan-cv-lstm-longer)
      gan_cv gan-lstm12 --data "$DATA/audio" --model lstm --chunk 1 --chunk-hop 4 --lr 1e-3 --epochs 12 --patience 3
      ;;
    # How often classifiers trained on real clips give generated clips their intended genre: the
    # bundled ensemble's transfer member, and gan-cv's fold-0 cnn3 trained on real 1 s chunks (run gan-cv first).
    gan-judge)
      # the transfer model (three taggers a clip) on the first 20 clips of each genre, cnn3 on all
      sub="$OUT/gan-judge-first20"
      if [[ ! -d $sub ]]; then
        for d in "${GENRE_GAN_SAMPLES:?set GENRE_GAN_SAMPLES}"/*/; do
          mkdir -p "$sub/$(basename "$d")"
          find "$d" -maxdepth 1 -type f | sort | head -20 | while read -r f; do ln -s "$(realpath "$f")" "$sub/$(basename "$d")/"; done
        done
      fi
      for m in models/genre-transfer.genre "$OUT/gan-cnn3-real-f0/model.genre"; do  # evaluate runs one model, not the bundled ensemble
        [[ -f $m ]] || continue
        data=$GENRE_GAN_SAMPLES; [[ $m == models/* ]] && data=$sub
        judged="$OUT/gan-judge-$(basename "$(dirname "$m")")"
        $G evaluate --model "$m" --data "$data" --part all --out "$judged" > "$OUT/gan-judge.log" 2>&1
        echo "| generated clips judged by $m | $(sed -n '/^| n | accuracy/{n;n;p}' "$judged/report.md" | head -1) |"
      done
      ;;
    efficientnet-images)
      run images-efficientnet-b0 --data "$DATA/images_original" --model efficientnet-b0 --input image --split fault-filtered --lr 1e-3 --epochs 8 --patience 3
      ;;
    imagenet-audio-cv)
      common=(--data "$DATA/audio" --model mobilenet-v2-0.35 --chunk-hop 4 --lr 1e-3 --epochs 8 --patience 3)
      cv audio-mobilenet-v2-0.35-scratch "${common[@]}"
      cv audio-mobilenet-v2-0.35-imagenet "${common[@]}" --pretrained "$WEIGHTS/imagenet/mobilenet-v2-0.35/weights.safetensors"
      ;;
    # The music-pretrained side of imagenet-audio-cv, same folds: msd-fcn's frozen embeddings under a
    # logistic-regression head (a linear probe; the embeddings are cached, so the head trains in seconds).
    music-audio-cv)
      cv audio-msd-fcn-probe --data "$DATA/audio" --backbone msd-fcn --model logreg --lr 1e-3 --epochs 200 --patience 20
      ;;
    # The same, then fine-tuned end to end (stage 2 of --finetune) for FINETUNE_EPOCHS epochs (default 1):
    # about 1.4 s per 29 s window in Pretrained.FinetuneTrainsTheBackboneEndToEnd, so an estimated 5 minutes an epoch of a fold.
    music-audio-cv-finetune)
      cv audio-msd-fcn-finetuned --data "$DATA/audio" --backbone msd-fcn --model logreg --lr 1e-3 --epochs 200 --patience 20 \
        --finetune --finetune-epochs "${FINETUNE_EPOCHS:-1}"
      ;;
    # The bundled model's recipe (models/README.md) under genre's own 5-fold cross-validation by song
    # over all development recordings: the head trained and early-stopped inside each fold, with the
    # band-limited copies and short crops of that fold's training files only. BUNDLED_EXTRA adds options.
    bundled-cv)
      # BUNDLED_NAME names the run, BUNDLED_HEAD picks the head (logreg, lda, mlp, band-logreg, band-mlp; the bundled
      # model: lda with BUNDLED_EXTRA="--crop-copies 3 --crop-seconds 2.5 --bandlimit-crops --refit --balanced"),
      # BUNDLED_BACKBONE the backbones, BUNDLED_EXTRA adds options.
      cv "${BUNDLED_NAME:-bundled-recipe}" --data "$DATA/audio,$DATA/audio-lowrate,$DATA/audio-excerpts" \
        --backbone "${BUNDLED_BACKBONE:-msd-fcn,msd-crnn,jamendo-musicnn}" --model "${BUNDLED_HEAD:-logreg}" --lr 1e-3 --epochs 200 --patience 20 \
        --batch-size 32 --bandlimit-copies 4000 ${BUNDLED_EXTRA:-}
      ;;
    # The 57 GTZAN features of each recording (30 s windows every 15 s; a shorter file's row from its own
    # samples) under logistic regression, on the bundled recipe's data and folds: the ensemble's second
    # member (then: /usr/bin/python3 bench/ensemble_cv.py OUT bundled-recipe table-audio).
    # TABLE_NAME names the run (default table-audio), TABLE_EXTRA adds options.
    table-audio-cv)
      cv "${TABLE_NAME:-table-audio}" --data "$DATA/audio,$DATA/audio-lowrate,$DATA/audio-excerpts" --model logreg --input table \
        --lr 1e-3 --epochs 300 --patience 30 --batch-size 32 ${TABLE_EXTRA:-}
      ;;
    # The bundled recipe trained on the fault-filtered train list, early-stopped and evaluated on its valid list.
    bundled-valid)
      run bundled-fault-filtered --data "$DATA/audio,$DATA/audio-lowrate,$DATA/audio-excerpts" --split fault-filtered \
        --backbone "${BUNDLED_BACKBONE:-msd-fcn,msd-crnn,jamendo-musicnn}" --model "${BUNDLED_HEAD:-logreg}" --lr 1e-3 --epochs 200 --patience 20 \
        --batch-size 32 --bandlimit-copies 4000 ${BUNDLED_EXTRA:-}
      $G evaluate --model "$OUT/bundled-fault-filtered/model.genre" --part valid --out "$OUT/bundled-fault-filtered/valid" \
        > "$OUT/bundled-fault-filtered.eval" 2>&1
      ;;
  esac
done
