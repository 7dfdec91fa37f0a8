// sharp, as most web developers would thumbnail, for `make bench`:
// rotate() then resize(box, box, {fit: 'inside', withoutEnlargement: true}),
// one libvips thread per image, no cache, N files in flight
// (run with UV_THREADPOOL_SIZE=N).
//
//   node sharp_ref.js N OUTDIR BOX FORMAT FILE...
// FORMAT is "same" (the input's) or a suffix such as "jpg".
const path = require('path');
const sharp = require('sharp');

sharp.concurrency(1);
sharp.cache(false);

async function main() {
  const [n, outdir, box, fmt, ...files] = process.argv.slice(2);
  const size = parseInt(box, 10);
  let next = 0;
  async function lane() {
    while (next < files.length) {
      const file = files[next++];
      let name = path.basename(file);
      if (fmt !== 'same') name = name.replace(/\.[^.]*$/, '') + '.' + fmt;
      await sharp(file)
        .rotate()
        .resize(size, size, { fit: 'inside', withoutEnlargement: true })
        .toFile(path.join(outdir, name));
    }
  }
  await Promise.all(Array.from({ length: parseInt(n, 10) }, lane));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
