package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.uber.org/zap"
	"gorm.io/gorm"
	gormlogger "gorm.io/gorm/logger"
)

// slowQuery is how long a statement may take before it is logged at warn.
const slowQuery = 200 * time.Millisecond

// gormLogger routes GORM's logging to zap. Failed statements are logged at
// debug only: the store returns every error to its caller, which decides
// whether it is worth a log line (a conflict usually is not).
type gormLogger struct {
	log *zap.Logger
}

var (
	_ gormlogger.Interface = gormLogger{}
	_ gorm.ParamsFilter    = gormLogger{}
)

func newGormLogger(log *zap.Logger) gormLogger {
	return gormLogger{log: log}
}

// LogMode is a no-op: the zap logger's level decides what is kept.
func (l gormLogger) LogMode(gormlogger.LogLevel) gormlogger.Interface { return l }

func (l gormLogger) Info(_ context.Context, msg string, args ...any) {
	l.log.Debug(fmt.Sprintf(msg, args...))
}

func (l gormLogger) Warn(_ context.Context, msg string, args ...any) {
	l.log.Warn(fmt.Sprintf(msg, args...))
}

func (l gormLogger) Error(_ context.Context, msg string, args ...any) {
	l.log.Error(fmt.Sprintf(msg, args...))
}

func (l gormLogger) Trace(_ context.Context, begin time.Time, fc func() (string, int64), err error) {
	elapsed := time.Since(begin)
	switch {
	case err != nil && !errors.Is(err, gorm.ErrRecordNotFound):
		if ce := l.log.Check(zap.DebugLevel, "query failed"); ce != nil {
			sql, rows := fc()
			ce.Write(zap.String("sql", sql), zap.Int64("rows", rows), zap.Duration("elapsed", elapsed), zap.Error(err))
		}
	case elapsed > slowQuery:
		sql, rows := fc()
		l.log.Warn("slow query", zap.String("sql", sql), zap.Int64("rows", rows), zap.Duration("elapsed", elapsed))
	}
}

// ParamsFilter drops bound values from logged SQL: they include password
// hashes, key hashes and user code.
func (l gormLogger) ParamsFilter(_ context.Context, sql string, _ ...any) (string, []any) {
	return sql, nil
}
