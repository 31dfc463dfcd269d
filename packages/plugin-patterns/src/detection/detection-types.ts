import type { Severity } from '@mainframe-kb/storage-core';
import type { PatternMember, PatternType } from '../types.js';

/** What the detectors read of an incident. */
export interface DetectionIncident {
  id: string;
  /** Milliseconds since the epoch. */
  time: number;
  component: string | null;
  severity: Severity | null;
  title: string;
  text: string;
  codes: readonly string[];
}

export interface DetectionSettings {
  minIncidents: number;
  burstWindowHours: number;
  burstAlpha: number;
  similarityThreshold: number;
}

/** A pattern found by a detector, before it is stored. */
export interface DetectedPattern {
  id: string;
  type: PatternType;
  description: string;
  confidence: number;
  severity: Severity | null;
  component: string | null;
  errorCode: string | null;
  firstSeen: string;
  lastSeen: string;
  metadata: Record<string, unknown>;
  members: PatternMember[];
}
