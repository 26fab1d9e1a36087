/*
 * virtio-blk against a temporary raw image, driven through the virtio-mmio
 * transport over fake guest RAM with guard pages: read, write, flush,
 * get-id, discard, write-zeroes, bounds, readonly, the --disk parser.
 */
#include "devices/virtio/blk.h"
#include "test_virtio_harness.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#define DISK_BYTES (1024 * 1024)
#define HDR        (TV_DATA)          /* request header */
#define STATUS     (TV_DATA + 0x100)  /* status byte */
#define SEGS       (TV_DATA + 0x200)  /* discard segments */
#define BUF        (TV_DATA + 0x1000) /* data buffer */
#define F_BLK                                                                            \
    ((1ULL << VIRTIO_BLK_F_FLUSH) | (1ULL << VIRTIO_BLK_F_DISCARD) |                     \
     (1ULL << VIRTIO_BLK_F_WRITE_ZEROES) | (1ULL << VIRTIO_F_EVENT_IDX) |                \
     (1ULL << VIRTIO_F_INDIRECT_DESC))

#define F_MODIFY ((1ULL << VIRTIO_BLK_F_DISCARD) | (1ULL << VIRTIO_BLK_F_WRITE_ZEROES))

static struct tv T;
static struct virtio_dev *dev;
static char path[64];
static int disk_fd;

static uint8_t disk_byte(uint64_t off)
{
    return (uint8_t)(off * 7 + off / 512);
}

static void make_disk(void)
{
    uint8_t *buf = malloc(DISK_BYTES);

    strcpy(path, "/tmp/gmvm-blk-XXXXXX");
    disk_fd = mkstemp(path);
    ck_assert_int_ge(disk_fd, 0);
    for (unsigned i = 0; i < DISK_BYTES; i++)
        buf[i] = disk_byte(i);
    ck_assert_int_eq(pwrite(disk_fd, buf, DISK_BYTES, 0), DISK_BYTES);
    free(buf);
}

static void open_dev(bool readonly, const char *id)
{
    struct virtio_blk_spec spec = {.readonly = readonly};
    char err[256];

    strcpy(spec.path, path);
    strcpy(spec.id, id);
    ck_assert_msg(virtio_blk_create(&spec, &dev, err, sizeof(err)) == 0, "%s", err);
    tv_mem_init(&T);
    /* A readonly disk offers RO and no DISCARD/WRITE_ZEROES. */
    tv_setup(&T, dev, readonly ? (F_BLK & ~F_MODIFY) | 1ULL << VIRTIO_BLK_F_RO : F_BLK,
             16);
}

static void setup(void)
{
    make_disk();
    open_dev(false, "testdisk");
}

static void teardown(void)
{
    tv_fini(&T);
    virtio_dev_destroy(dev);
    close(disk_fd);
    unlink(path);
}

/* Queue one request: header, optional data, status; kick; return status. */
static uint8_t request(uint32_t type, uint64_t sector, uint64_t data, uint32_t len,
                       bool device_writes)
{
    struct {
        uint32_t type, reserved;
        uint64_t sector;
    } h = {type, 0, sector};
    uint16_t used_before = tv_used_idx(&T);

    memcpy(tv_host(&T, HDR), &h, sizeof(h));
    *(uint8_t *)tv_host(&T, STATUS) = 0xee;
    if (len) {
        tv_desc(&T, 0, HDR, 16, VIRTQ_DESC_F_NEXT, 1);
        tv_desc(&T, 1, data, len,
                VIRTQ_DESC_F_NEXT | (device_writes ? VIRTQ_DESC_F_WRITE : 0), 2);
    } else {
        tv_desc(&T, 0, HDR, 16, VIRTQ_DESC_F_NEXT, 2);
    }
    tv_desc(&T, 2, STATUS, 1, VIRTQ_DESC_F_WRITE, 0);
    tv_avail(&T, 0);
    tv_kick(&T);
    ck_assert_uint_eq(tv_used_idx(&T), (uint16_t)(used_before + 1));
    return *(uint8_t *)tv_host(&T, STATUS);
}

static void assert_disk_pattern(uint64_t off, uint64_t len)
{
    uint8_t *buf = malloc(len);

    ck_assert_int_eq(pread(disk_fd, buf, len, off), (ssize_t)len);
    for (uint64_t i = 0; i < len; i++)
        ck_assert_uint_eq(buf[i], disk_byte(off + i));
    free(buf);
}

START_TEST(test_config)
{
    uint32_t lo = tv_rd(&T, VIRTIO_MMIO_CONFIG), hi = tv_rd(&T, VIRTIO_MMIO_CONFIG + 4);
    uint32_t f0, f1;

    ck_assert_uint_eq(((uint64_t)hi << 32) | lo, DISK_BYTES / 512);
    ck_assert_uint_eq(tv_rd(&T, VIRTIO_MMIO_CONFIG + 20), 512);    /* blk_size */
    ck_assert_uint_eq(tv_rd(&T, VIRTIO_MMIO_CONFIG + 12), 254);    /* seg_max */
    ck_assert_uint_eq(tv_rd(&T, VIRTIO_MMIO_CONFIG + 8), 1 << 20); /* size_max */
    ck_assert_uint_eq(tv_rd(&T, VIRTIO_MMIO_DEVICE_ID), VIRTIO_ID_BLOCK);
    tv_wr(&T, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
    f0 = tv_rd(&T, VIRTIO_MMIO_DEVICE_FEATURES);
    tv_wr(&T, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
    f1 = tv_rd(&T, VIRTIO_MMIO_DEVICE_FEATURES);
    ck_assert(f0 & (1U << VIRTIO_BLK_F_FLUSH));
    ck_assert(f0 & (1U << VIRTIO_BLK_F_BLK_SIZE));
    ck_assert(f0 & (1U << VIRTIO_BLK_F_SEG_MAX));
    ck_assert(f0 & (1U << VIRTIO_BLK_F_SIZE_MAX));
    ck_assert(f0 & (1U << VIRTIO_BLK_F_DISCARD));
    ck_assert(!(f0 & (1U << VIRTIO_BLK_F_RO)));
    ck_assert(f1 & 1); /* VERSION_1 */
}
END_TEST

START_TEST(test_read)
{
    uint8_t *buf = tv_host(&T, BUF);

    ck_assert_uint_eq(request(VIRTIO_BLK_T_IN, 3, BUF, 1024, true), VIRTIO_BLK_S_OK);
    for (unsigned i = 0; i < 1024; i++)
        ck_assert_uint_eq(buf[i], disk_byte(3 * 512 + i));
    ck_assert_uint_eq(tv_used(&T, 0).len, 1025);
    ck_assert_uint_ge(tv_irqs(&T), 1);
}
END_TEST

START_TEST(test_write)
{
    uint8_t *buf = tv_host(&T, BUF), back[2048];

    for (unsigned i = 0; i < 2048; i++)
        buf[i] = (uint8_t)(i ^ 0x5a);
    ck_assert_uint_eq(request(VIRTIO_BLK_T_OUT, 10, BUF, 2048, false), VIRTIO_BLK_S_OK);
    ck_assert_uint_eq(tv_used(&T, 0).len, 1);
    ck_assert_int_eq(pread(disk_fd, back, 2048, 10 * 512), 2048);
    ck_assert_mem_eq(back, buf, 2048);
    assert_disk_pattern(0, 10 * 512);
    assert_disk_pattern(14 * 512, 512);
}
END_TEST

START_TEST(test_flush)
{
    ck_assert_uint_eq(request(VIRTIO_BLK_T_FLUSH, 0, 0, 0, false), VIRTIO_BLK_S_OK);
}
END_TEST

START_TEST(test_get_id)
{
    uint8_t *buf = tv_host(&T, BUF);

    memset(buf, 0xff, 32);
    ck_assert_uint_eq(request(VIRTIO_BLK_T_GET_ID, 0, BUF, 20, true), VIRTIO_BLK_S_OK);
    ck_assert_mem_eq(buf, "testdisk\0\0\0\0\0\0\0\0\0\0\0\0", 20);
    ck_assert_uint_eq(buf[20], 0xff);
    ck_assert_uint_eq(tv_used(&T, 0).len, 21);
}
END_TEST

static uint8_t discard(uint32_t type, uint64_t sector, uint32_t n, uint32_t flags)
{
    struct {
        uint64_t sector;
        uint32_t n, flags;
    } seg = {sector, n, flags};

    memcpy(tv_host(&T, SEGS), &seg, sizeof(seg));
    return request(type, 0, SEGS, sizeof(seg), false);
}

static void assert_disk_zero(uint64_t off, uint64_t len)
{
    uint8_t buf[8192];

    ck_assert_uint_le(len, sizeof(buf));
    ck_assert_int_eq(pread(disk_fd, buf, len, off), (ssize_t)len);
    for (uint64_t i = 0; i < len; i++)
        ck_assert_uint_eq(buf[i], 0);
}

START_TEST(test_discard)
{
    struct stat st;

    ck_assert_uint_eq(discard(VIRTIO_BLK_T_DISCARD, 16, 16, 0), VIRTIO_BLK_S_OK);
    assert_disk_zero(16 * 512, 8192);
    assert_disk_pattern(15 * 512, 512);
    assert_disk_pattern(32 * 512, 512);
    ck_assert_int_eq(fstat(disk_fd, &st), 0);
    ck_assert_int_eq(st.st_size, DISK_BYTES);
    /* The unmap flag is not allowed on DISCARD. */
    ck_assert_uint_eq(discard(VIRTIO_BLK_T_DISCARD, 40, 8, 1), VIRTIO_BLK_S_UNSUPP);
    ck_assert_uint_eq(discard(VIRTIO_BLK_T_DISCARD, 2047, 2, 0), VIRTIO_BLK_S_IOERR);
}
END_TEST

START_TEST(test_write_zeroes)
{
    ck_assert_uint_eq(discard(VIRTIO_BLK_T_WRITE_ZEROES, 5, 3, 0), VIRTIO_BLK_S_OK);
    assert_disk_zero(5 * 512, 3 * 512);
    assert_disk_pattern(4 * 512, 512);
    assert_disk_pattern(8 * 512, 512);
    ck_assert_uint_eq(discard(VIRTIO_BLK_T_WRITE_ZEROES, 64, 16, 1), VIRTIO_BLK_S_OK);
    assert_disk_zero(64 * 512, 16 * 512);
    assert_disk_pattern(80 * 512, 512);
}
END_TEST

START_TEST(test_bounds)
{
    uint64_t cap = DISK_BYTES / 512;

    ck_assert_uint_eq(request(VIRTIO_BLK_T_IN, cap - 1, BUF, 512, true), VIRTIO_BLK_S_OK);
    ck_assert_uint_eq(request(VIRTIO_BLK_T_IN, cap - 1, BUF, 1024, true),
                      VIRTIO_BLK_S_IOERR);
    ck_assert_uint_eq(request(VIRTIO_BLK_T_IN, cap, BUF, 512, true), VIRTIO_BLK_S_IOERR);
    ck_assert_uint_eq(request(VIRTIO_BLK_T_OUT, UINT64_MAX / 512, BUF, 512, false),
                      VIRTIO_BLK_S_IOERR);
    ck_assert_uint_eq(request(VIRTIO_BLK_T_OUT, UINT64_MAX, BUF, 512, false),
                      VIRTIO_BLK_S_IOERR);
    ck_assert_uint_eq(request(VIRTIO_BLK_T_IN, 0, BUF, 100, true), VIRTIO_BLK_S_IOERR);
    ck_assert_uint_eq(request(77, 0, BUF, 512, true), VIRTIO_BLK_S_UNSUPP);
    ck_assert_uint_eq(tv_status(&T) & VIRTIO_STATUS_NEEDS_RESET, 0);
    assert_disk_pattern(0, DISK_BYTES);
}
END_TEST

/* Any layout (VERSION_1): header split over two descriptors, data + status in one. */
START_TEST(test_any_layout)
{
    struct {
        uint32_t type, reserved;
        uint64_t sector;
    } h = {VIRTIO_BLK_T_IN, 0, 1};
    uint8_t *buf = tv_host(&T, BUF);

    memcpy(tv_host(&T, HDR), &h, sizeof(h));
    tv_desc_at(&T, TV_INDIRECT, 0, HDR, 8, VIRTQ_DESC_F_NEXT, 1);
    tv_desc_at(&T, TV_INDIRECT, 1, HDR + 8, 8, VIRTQ_DESC_F_NEXT, 2);
    tv_desc_at(&T, TV_INDIRECT, 2, BUF, 513, VIRTQ_DESC_F_WRITE, 0);
    tv_desc(&T, 0, TV_INDIRECT, 48, VIRTQ_DESC_F_INDIRECT, 0);
    buf[512] = 0xee;
    tv_avail(&T, 0);
    tv_kick(&T);
    ck_assert_uint_eq(tv_used_idx(&T), 1);
    ck_assert_uint_eq(buf[512], VIRTIO_BLK_S_OK);
    for (unsigned i = 0; i < 512; i++)
        ck_assert_uint_eq(buf[i], disk_byte(512 + i));
}
END_TEST

START_TEST(test_batch)
{
    for (unsigned r = 0; r < 3; r++) {
        uint64_t base = TV_DATA + 0x10000 * (r + 1);
        struct {
            uint32_t type, reserved;
            uint64_t sector;
        } h = {VIRTIO_BLK_T_IN, 0, r * 8};

        memcpy(tv_host(&T, base), &h, sizeof(h));
        tv_desc(&T, 3 * r, base, 16, VIRTQ_DESC_F_NEXT, 3 * r + 1);
        tv_desc(&T, 3 * r + 1, base + 0x1000, 4096,
                VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 3 * r + 2);
        tv_desc(&T, 3 * r + 2, base + 0x100, 1, VIRTQ_DESC_F_WRITE, 0);
        tv_avail(&T, 3 * r);
    }
    tv_kick(&T);
    ck_assert_uint_eq(tv_used_idx(&T), 3);
    for (unsigned r = 0; r < 3; r++) {
        uint8_t *data = tv_host(&T, TV_DATA + 0x10000 * (r + 1) + 0x1000);

        ck_assert_uint_eq(tv_used(&T, r).id, 3 * r);
        ck_assert_uint_eq(tv_used(&T, r).len, 4097);
        ck_assert_uint_eq(data[100], disk_byte(r * 8 * 512 + 100));
    }
}
END_TEST

START_TEST(test_no_status_byte)
{
    tv_desc(&T, 0, HDR, 16, 0, 0);
    tv_avail(&T, 0);
    tv_kick(&T);
    tv_assert_needs_reset(&T);
    ck_assert_uint_eq(tv_used_idx(&T), 0);
}
END_TEST

START_TEST(test_readonly)
{
    uint8_t *buf;
    uint32_t f0;

    tv_fini(&T);
    virtio_dev_destroy(dev);
    open_dev(true, "");
    buf = tv_host(&T, BUF);
    tv_wr(&T, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
    f0 = tv_rd(&T, VIRTIO_MMIO_DEVICE_FEATURES);
    ck_assert(f0 & (1U << VIRTIO_BLK_F_RO));
    ck_assert(!(f0 & (1U << VIRTIO_BLK_F_DISCARD)));

    memset(buf, 0xab, 4096);
    ck_assert_uint_eq(request(VIRTIO_BLK_T_OUT, 0, BUF, 4096, false), VIRTIO_BLK_S_IOERR);
    ck_assert_uint_eq(discard(VIRTIO_BLK_T_DISCARD, 0, 8, 0), VIRTIO_BLK_S_IOERR);
    ck_assert_uint_eq(discard(VIRTIO_BLK_T_WRITE_ZEROES, 0, 8, 0), VIRTIO_BLK_S_IOERR);
    ck_assert_uint_eq(request(VIRTIO_BLK_T_FLUSH, 0, 0, 0, false), VIRTIO_BLK_S_OK);
    ck_assert_uint_eq(request(VIRTIO_BLK_T_GET_ID, 0, BUF, 20, true),
                      VIRTIO_BLK_S_UNSUPP);
    ck_assert_uint_eq(request(VIRTIO_BLK_T_IN, 2, BUF, 512, true), VIRTIO_BLK_S_OK);
    ck_assert_uint_eq(buf[7], disk_byte(2 * 512 + 7));
    assert_disk_pattern(0, DISK_BYTES);
    ck_assert_int_eq(virtio_dev_flush(dev), 0);
}
END_TEST

START_TEST(test_image_locked)
{
    struct virtio_blk_spec spec = {0};
    struct virtio_dev *other;
    char err[256];

    strcpy(spec.path, path);
    ck_assert_int_lt(virtio_blk_create(&spec, &other, err, sizeof(err)), 0);
    ck_assert_ptr_nonnull(strstr(err, "in use"));
}
END_TEST

START_TEST(test_create_errors)
{
    struct virtio_blk_spec spec = {0};
    struct virtio_dev *other;
    char err[256];
    int fd;

    strcpy(spec.path, "/nonexistent/disk.img");
    ck_assert_int_eq(virtio_blk_create(&spec, &other, err, sizeof(err)), -ENOENT);
    ck_assert_ptr_nonnull(strstr(err, "/nonexistent/disk.img"));

    strcpy(spec.path, "/tmp/gmvm-blk-odd-XXXXXX");
    fd = mkstemp(spec.path);
    ck_assert_int_eq(write(fd, "abc", 3), 3);
    ck_assert_int_eq(virtio_blk_create(&spec, &other, err, sizeof(err)), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "multiple of 512"));
    close(fd);
    unlink(spec.path);
}
END_TEST

START_TEST(test_parse_spec)
{
    struct virtio_blk_spec s;
    char err[256];

    ck_assert_int_eq(virtio_blk_parse_spec("disk.img", &s, err, sizeof(err)), 0);
    ck_assert_str_eq(s.path, "disk.img");
    ck_assert(!s.readonly);
    ck_assert_str_eq(s.id, "");
    ck_assert_int_eq(
        virtio_blk_parse_spec("/a/b.raw,readonly,id=root", &s, err, sizeof(err)), 0);
    ck_assert_str_eq(s.path, "/a/b.raw");
    ck_assert(s.readonly);
    ck_assert_str_eq(s.id, "root");
    ck_assert_int_eq(
        virtio_blk_parse_spec("x,id=01234567890123456789", &s, err, sizeof(err)), 0);

    ck_assert_int_eq(virtio_blk_parse_spec("", &s, err, sizeof(err)), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "--disk PATH[,readonly][,id=NAME]"));
    ck_assert_int_eq(virtio_blk_parse_spec(",readonly", &s, err, sizeof(err)), -EINVAL);
    ck_assert_int_eq(virtio_blk_parse_spec("x,ro", &s, err, sizeof(err)), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "unknown option 'ro'"));
    ck_assert_int_eq(virtio_blk_parse_spec("x,", &s, err, sizeof(err)), -EINVAL);
    ck_assert_int_eq(virtio_blk_parse_spec("x,id=", &s, err, sizeof(err)), -EINVAL);
    ck_assert_int_eq(
        virtio_blk_parse_spec("x,id=012345678901234567890", &s, err, sizeof(err)),
        -EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "longer than 20"));
    ck_assert_int_eq(virtio_blk_parse_spec("x,id=a b", &s, err, sizeof(err)), -EINVAL);
    ck_assert_ptr_null(strchr(err, '\n'));
}
END_TEST

static Suite *blk_suite(void)
{
    Suite *s = suite_create("virtio_blk");
    TCase *tc = tcase_create("blk");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_config);
    tcase_add_test(tc, test_read);
    tcase_add_test(tc, test_write);
    tcase_add_test(tc, test_flush);
    tcase_add_test(tc, test_get_id);
    tcase_add_test(tc, test_discard);
    tcase_add_test(tc, test_write_zeroes);
    tcase_add_test(tc, test_bounds);
    tcase_add_test(tc, test_any_layout);
    tcase_add_test(tc, test_batch);
    tcase_add_test(tc, test_no_status_byte);
    tcase_add_test(tc, test_readonly);
    tcase_add_test(tc, test_image_locked);
    tcase_add_test(tc, test_create_errors);
    tcase_add_test(tc, test_parse_spec);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return check_run_suite(blk_suite());
}
