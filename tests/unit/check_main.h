/*
 * The one main() every Check test program shares: run a suite with the
 * default (forking) runner and exit 0 only if every test passed.
 */
#ifndef GMVM_TEST_CHECK_MAIN_H
#define GMVM_TEST_CHECK_MAIN_H

#include <check.h>

static inline int check_run_suite(Suite *s)
{
    SRunner *sr = srunner_create(s);
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}

#endif
