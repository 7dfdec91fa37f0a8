/*
 * The decode floor for `make bench`: N forked processes, each decoding
 * its share of the JPEGs named on the command line fully with
 * libjpeg-turbo at scale 1/8 (the smallest DCT scaling) and discarding
 * the pixels. A thumbnailer that decodes every file fully cannot beat it.
 *
 *   floor N FILE...
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jpeglib.h>

/* Decode one file at 1/8; 0 or -1. */
static int
decode(const char *path)
{
	struct jpeg_decompress_struct cinfo;
	struct jpeg_error_mgr jerr;
	JSAMPARRAY row;
	FILE *f = fopen(path, "rb");

	if (f == NULL) {
		perror(path);
		return -1;
	}
	cinfo.err = jpeg_std_error(&jerr);
	jpeg_create_decompress(&cinfo);
	jpeg_stdio_src(&cinfo, f);
	jpeg_read_header(&cinfo, TRUE);
	cinfo.scale_num = 1;
	cinfo.scale_denom = 8;
	jpeg_start_decompress(&cinfo);
	row = (*cinfo.mem->alloc_sarray)((j_common_ptr)&cinfo, JPOOL_IMAGE,
	    cinfo.output_width * cinfo.output_components, 1);
	while (cinfo.output_scanline < cinfo.output_height)
		jpeg_read_scanlines(&cinfo, row, 1);
	jpeg_finish_decompress(&cinfo);
	jpeg_destroy_decompress(&cinfo);
	fclose(f);
	return 0;
}

int
main(int argc, char **argv)
{
	int n, status, failed = 0;

	if (argc < 3 || (n = atoi(argv[1])) < 1) {
		fprintf(stderr, "usage: floor N FILE...\n");
		return 2;
	}
	for (int w = 0; w < n; w++) {
		pid_t pid = fork();

		if (pid < 0) {
			perror("fork");
			return 1;
		}
		if (pid == 0) {
			int rc = 0;

			/* Interleaved shares, as a pool would balance them. */
			for (int i = 2 + w; i < argc; i += n)
				rc |= decode(argv[i]);
			_exit(rc ? 1 : 0);
		}
	}
	while (wait(&status) > 0)
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			failed = 1;
	return failed;
}
