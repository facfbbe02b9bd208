// Integration tests wait on a real API server and generate real keys: give them room.
import { jest } from '@jest/globals';

jest.setTimeout(120_000);
