/*
 * file.h - whole-file input and output for the loader.
 *
 * Kernels and volume images are small (megabytes), and every validation
 * rule needs random access to the bytes, so the loader reads a file into
 * one buffer and works on memory only.
 */
#ifndef LOADER_FILE_H
#define LOADER_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "loader/error.h"

/* Files larger than this are refused rather than read (no guest needs more). */
#define LOADER_FILE_MAX (1ull << 30)

/*
 * Read all of path into a new malloc'd buffer (*data, *size; free() it).
 * A zero-length file gives a non-NULL buffer of size 0.
 */
bool loader_read_file(const char *path, uint8_t **data, size_t *size, struct loader_error *err);

/* Create or truncate path and write size bytes to it. */
bool loader_write_file(const char *path, const void *data, size_t size, struct loader_error *err);

#endif
