# Databricks notebook source
import helpers
dbutils.notebook.exit(helpers.NAME)
