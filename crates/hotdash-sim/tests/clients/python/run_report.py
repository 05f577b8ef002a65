#!/usr/bin/env python3
"""Runs a GA4 report with Google's official Python client against the HotDash GA4 simulator.

    run_report.py API_ENDPOINT KEY_FILE [--property ID] [--start DATE] [--end DATE]
                  [--page-size N] [--auth self-signed|token]

The client is set up the way a real integration would be, except for the endpoint: the REST
transport (the simulator speaks REST, not gRPC), `api_endpoint` at the simulator, and
service-account credentials from KEY_FILE, whose `token_uri` points at the simulator.

--auth self-signed (default) lets the client do what it does against Google: send a
self-signed JWT as the bearer. --auth token first exchanges a JWT-bearer assertion at the
key's token_uri (google-auth's two-legged OAuth flow) and uses the access token it gets.

Reads dimensions date and sessionDefaultChannelGroup with metrics sessions, totalUsers,
keyEvents and purchaseRevenue, paging by offset until offset >= rowCount, and prints one
JSON object on stdout: {"rowCount", "pages", "metricTypes", "currencyCode", "tokenPrefix",
"rows"} (tokenPrefix: the start of the access token /token issued, null when self-signed), where
each row is [date, channel, sessions, totalUsers, keyEvents, purchaseRevenue] as the strings
the API returned.
"""

import argparse
import json
import sys

import google.auth.transport.requests
import google.oauth2.credentials
from google.analytics.data_v1beta import BetaAnalyticsDataClient
from google.analytics.data_v1beta.types import (
    DateRange,
    Dimension,
    Metric,
    OrderBy,
    RunReportRequest,
)
from google.oauth2 import service_account

READONLY = "https://www.googleapis.com/auth/analytics.readonly"


def credentials(key_file, auth):
    if auth == "token":
        creds = service_account.Credentials.from_service_account_file(
            key_file, scopes=[READONLY]
        )
        # POSTs grant_type=jwt-bearer to the key's token_uri.
        creds.refresh(google.auth.transport.requests.Request())
        return google.oauth2.credentials.Credentials(creds.token)
    # The client turns this into a self-signed JWT (always_use_jwt_access).
    return service_account.Credentials.from_service_account_file(key_file)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("api_endpoint")
    parser.add_argument("key_file")
    parser.add_argument("--property", default="123456789")
    parser.add_argument("--start", default="28daysAgo")
    parser.add_argument("--end", default="yesterday")
    parser.add_argument("--page-size", type=int, default=25)
    parser.add_argument("--auth", choices=["self-signed", "token"], default="self-signed")
    args = parser.parse_args()

    creds = credentials(args.key_file, args.auth)
    token_prefix = creds.token[:10] if args.auth == "token" else None
    client = BetaAnalyticsDataClient(
        credentials=creds,
        transport="rest",
        client_options={"api_endpoint": args.api_endpoint},
    )
    rows, pages, offset, row_count = [], 0, 0, None
    metric_types, currency = [], None
    while row_count is None or offset < row_count:
        response = client.run_report(
            RunReportRequest(
                property=f"properties/{args.property}",
                dimensions=[Dimension(name="date"), Dimension(name="sessionDefaultChannelGroup")],
                metrics=[
                    Metric(name="sessions"),
                    Metric(name="totalUsers"),
                    Metric(name="keyEvents"),
                    Metric(name="purchaseRevenue"),
                ],
                date_ranges=[DateRange(start_date=args.start, end_date=args.end)],
                order_bys=[
                    OrderBy(dimension=OrderBy.DimensionOrderBy(dimension_name="date")),
                    OrderBy(
                        dimension=OrderBy.DimensionOrderBy(
                            dimension_name="sessionDefaultChannelGroup"
                        )
                    ),
                ],
                limit=args.page_size,
                offset=offset,
                return_property_quota=True,
            )
        )
        pages += 1
        row_count = response.row_count
        metric_types = [h.type_.name for h in response.metric_headers]
        currency = response.metadata.currency_code
        for row in response.rows:
            rows.append(
                [v.value for v in row.dimension_values] + [v.value for v in row.metric_values]
            )
        if not response.rows:
            break
        offset += args.page_size
    json.dump(
        {
            "rowCount": row_count,
            "pages": pages,
            "metricTypes": metric_types,
            "currencyCode": currency,
            "tokenPrefix": token_prefix,
            "rows": rows,
        },
        sys.stdout,
    )
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
