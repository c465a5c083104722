-- Ten questions working groups ask, answered in SQL against the warehouse.
-- Each starts with a line "-- Q: <question>"; scripts/build_warehouse_docs.py copies them into
-- docs/warehouse.md and tests/test_warehouse_docs.py runs every one through `aktuellt sql`.
-- Run one with: aktuellt sql "$(cat my_query.sql)" --format csv

-- Q: What is the latest value of N15428 (pupils eligible for vocational programmes) for every municipality?
SELECT area_id, area_name, period, value
FROM latest_values
WHERE series_id = 'kolada:N15428' AND gender = 'T' AND area_kind = 'kommun'
ORDER BY value DESC;

-- Q: Which municipalities moved from "Fel riktning" (worsening) to "Målet är nått" (target_met) since last year's report?
-- The status each row had in the last run before this year: join runs for when the run ran.
WITH last_year AS (
    SELECT h.catalog_id, h.indicator_id, h.area_id, h.gender, h.status, r.started_at
    FROM progress_history AS h
    JOIN runs AS r USING (run_id)
    WHERE r.started_at < date_trunc('year', now())
    QUALIFY row_number() OVER (
        PARTITION BY h.catalog_id, h.indicator_id, h.area_id, h.gender
        ORDER BY r.started_at DESC, h.computed_at DESC
    ) = 1
)
SELECT p.catalog_id, p.indicator_id, a.name AS area_name, p.gender,
       l.started_at AS last_year_run, p.latest_year, p.latest_value, p.target_value
FROM progress AS p
JOIN last_year AS l USING (catalog_id, indicator_id, area_id, gender)
JOIN areas AS a USING (area_id)
WHERE l.status = 'worsening' AND p.status = 'target_met' AND a.kind = 'kommun'
ORDER BY p.catalog_id, p.indicator_id, area_name;

-- Q: Which values did Kolada revise or remove this month?
SELECT series_id, area_name, period, gender, change_kind, old_value, new_value, value_change,
       old_valid_from, revised_at
FROM revision_log
WHERE series_id LIKE 'kolada:%' AND revised_at >= date_trunc('month', now())
ORDER BY revised_at DESC, series_id, area_name, period, gender;

-- Q: In which indicators is Karlstad in the worst third of the county's municipalities?
SELECT i.indicator_id, i.title, p.rank, p.rank_of, p.rank_year, p.latest_value
FROM progress AS p
JOIN indicators AS i USING (catalog_id, indicator_id)
JOIN areas AS a USING (area_id)
WHERE a.name = 'Karlstad' AND p.catalog_id = 'np2022' AND p.gender = 'T'
  AND p.rank_third = 'sämsta tredjedelen'
ORDER BY i.indicator_id;

-- Q: Where has the gap between women and men widened since the baseline?
SELECT p.catalog_id, p.indicator_id, a.name AS area_name, p.baseline_year, p.gap_baseline,
       p.latest_year, p.gap_latest, round(p.gap_latest - p.gap_baseline, 2) AS widened_by
FROM progress AS p
JOIN areas AS a USING (area_id)
WHERE p.gender = 'T' AND p.gap_widened
ORDER BY widened_by DESC;

-- Q: Which refresh runs did not succeed, and which checks failed in them?
SELECT r.run_id, r.started_at, r.kind, r.outcome, r.error,
       c.suite, c.expectation, c.severity, c.unexpected_count
FROM runs AS r
LEFT JOIN check_results AS c ON c.run_id = r.run_id AND NOT c.success
WHERE r.outcome <> 'success' OR c.run_id IS NOT NULL
ORDER BY r.started_at DESC, c.expectation;

-- Q: What did the warehouse know about Karlstad's N15428 on 1 June 2025, compared with now?
SELECT then_.period, then_.gender, then_.value AS value_then, now_.value AS value_now
FROM observations_asof(TIMESTAMPTZ '2025-06-01 00:00:00+00') AS then_
LEFT JOIN current_observations AS now_ USING (series_id, area_id, period, gender)
WHERE then_.series_id = 'kolada:N15428' AND then_.area_id = '1780'
ORDER BY then_.period, then_.gender;

-- Q: What is the status of every np2022 indicator in Karlstad, one column per indicator?
SELECT *
FROM status_wide
WHERE catalog_id = 'np2022' AND area_name = 'Karlstad' AND gender = 'T';

-- Q: How many municipalities have each status, per np2022 indicator?
SELECT p.indicator_id, p.status_label, count(*) AS municipalities
FROM progress AS p
JOIN areas AS a USING (area_id)
WHERE p.catalog_id = 'np2022' AND p.gender = 'T' AND a.kind = 'kommun'
GROUP BY ALL
ORDER BY p.indicator_id, municipalities DESC;

-- Q: How does Karlstad compare with the county and Riket on each np2022 indicator?
SELECT i.title, p.latest_year, p.latest_value AS karlstad, p.county_value AS county,
       p.riket_value AS riket, p.status_label
FROM progress AS p
JOIN indicators AS i USING (catalog_id, indicator_id)
WHERE p.catalog_id = 'np2022' AND p.area_id = '1780' AND p.gender = 'T'
  AND p.latest_value IS NOT NULL
ORDER BY i.title;
