/* The published acquire-zarr README's C example of S3 settings
 * (acquire-project/acquire-zarr, README.md, "S3"), reproduced as the
 * compatibility contract: code written for the published library must
 * compile against this one, as C11 and as C++20.
 *
 * The published lines are kept as they are; main() and the check at the end
 * are added. No stream is created: that would need a reachable endpoint and
 * credentials (and S3 is refused as "not yet implemented" until it lands).
 */
// ensure your environment is set up for S3 access before running your program
#include <acquire.zarr.h>

#include <stdio.h>  /* added */
#include <string.h> /* added */

int
main(void)
{
    /* ---- the published README, unchanged ------------------------------- */
ZarrStreamSettings settings = { /* ... */ };

// Configure S3 storage
ZarrS3Settings s3_settings = {
    .endpoint = "https://s3.amazonaws.com",
    .bucket_name = "my-zarr-data",
    .region = "us-east-1"
};

settings.s3_settings = &s3_settings;
    /* ---- end of the published README ----------------------------------- */

    /* added: the settings say what the fragment set */
    if (strcmp(settings.s3_settings->endpoint, "https://s3.amazonaws.com") != 0 ||
        strcmp(settings.s3_settings->bucket_name, "my-zarr-data") != 0 ||
        strcmp(settings.s3_settings->region, "us-east-1") != 0) {
        fprintf(stderr, "S3 settings not as set\n");
        return 1;
    }
    printf("S3 settings: %s, bucket %s, region %s\n", settings.s3_settings->endpoint,
           settings.s3_settings->bucket_name, settings.s3_settings->region);
    return 0;
}
