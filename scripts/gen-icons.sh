#!/usr/bin/env bash
# Renders the app and tray icons in assets/ from the SVG sources in assets/svg/.
# The PNG/ICO results are committed; run this only after changing an SVG.
# Needs rsvg-convert and ImageMagick (Debian/Ubuntu: apt-get install -y librsvg2-bin imagemagick).
#
#   assets/icon.png                       512×512 app icon; electron-builder makes .ico/.icns from it
#   assets/tray/<state>.png, @2x          Linux tray (32 px, 64 px), state = running | stopped | error
#   assets/tray/<state>.ico               Windows tray (16, 20, 24, 32, 48 px in one file)
#   assets/tray/<state>Template.png, @2x  macOS menu bar template images (16 pt: 16 px and 32 px)
set -euo pipefail
cd "$(dirname "$0")/../assets"

command -v rsvg-convert >/dev/null || { echo "rsvg-convert is missing (apt-get install -y librsvg2-bin)" >&2; exit 1; }
if command -v magick >/dev/null; then im=(magick)
elif /usr/bin/convert -version 2>/dev/null | grep -q ImageMagick; then im=(/usr/bin/convert)
else echo "ImageMagick is missing (apt-get install -y imagemagick)" >&2; exit 1; fi

render() { rsvg-convert -w "$2" -h "$2" "svg/$1.svg" -o "$3"; }

render app-icon 512 icon.png
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
for state in running stopped error; do
  render "tray-$state" 32 "tray/$state.png"
  render "tray-$state" 64 "tray/$state@2x.png"
  sizes=()
  for px in 16 20 24 32 48; do
    render "tray-$state" "$px" "$tmp/$state-$px.png"
    sizes+=("$tmp/$state-$px.png")
  done
  "${im[@]}" "${sizes[@]}" "tray/$state.ico"
  render "tray-${state}Template" 16 "tray/${state}Template.png"
  render "tray-${state}Template" 32 "tray/${state}Template@2x.png"
done
echo "icons written to $(pwd)"
