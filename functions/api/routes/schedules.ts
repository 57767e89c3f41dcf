import { API_TABLES } from '../../wiring/handler-needs.js';
import {
  JobAccepted,
  NoParams,
  ScheduleRunBody,
  ScheduleRunPath,
  SchedulesResponse,
} from '../api-schemas.js';
import type { RouteSpec } from '../route-spec.js';

const accepted = { description: 'the export job was queued', schema: JobAccepted };

/** Routes of scheduled exports. */
export const SCHEDULE_ROUTES = {
  listSchedules: {
    operationId: 'listSchedules',
    method: 'get',
    path: '/schedules',
    handler: 'list-schedules.ts',
    summary: 'The scheduled export catalogue with next run times',
    access: 'admin',
    auth: 'bearer',
    rateLimited: false,
    needs: API_TABLES,
    query: NoParams,
    responses: { 200: { description: 'the catalogue', schema: SchedulesResponse } },
  },
  runSchedule: {
    operationId: 'runSchedule',
    method: 'post',
    path: '/schedules/{name}/run',
    handler: 'run-schedule.ts',
    summary: 'Run a scheduled export now or backfill a date',
    access: 'admin',
    auth: 'bearer',
    rateLimited: true,
    needs: { ...API_TABLES, send: true },
    pathParams: ScheduleRunPath,
    query: NoParams,
    body: ScheduleRunBody,
    responses: { 202: accepted },
  },
} as const satisfies Record<string, RouteSpec>;
